"""The Prefect environment: what Prefect and the processes it starts read from os.environ.

Prefect reads its settings when it is imported, and `serve`'s runner starts
each run in a process of its own that knows only its environment; so the
variables are set here, before Prefect is imported, and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

from flows.settings import ENV_PREFIX, Settings, SettingsInvalid

# Prefect 3.9 keeps deployment concurrency slot leases in the server's memory by default: a server
# that restarts loses them while the slots stay taken, and every later run waits. On disk
# (<PREFECT_HOME>/concurrency_leases) they survive a restart and expire as they should.
PREFECT_SERVER_DEFAULTS = {
    "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
}


def prepare_prefect_env(data_dir: Path) -> None:
    """Set Prefect's home, telemetry and log settings unless the user already chose them.

    Prefect reads these when it is imported, so the CLI calls this first.
    """
    os.environ.setdefault("PREFECT_HOME", str((data_dir / "prefect").resolve()))
    # Prefect creates its home without parents; a fresh data dir has none yet.
    try:
        Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a data dir that is a file, under /proc, read-only ...
        raise SettingsInvalid(f"data_dir {data_dir} cannot hold papertrend's files: {exc.strerror}") from None
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # Our own log lines (e.g. "warehouse busy: waiting ...") go where the flow run's go.
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "papertrend")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def prefect_home() -> Path | None:
    """Prefect's home folder (its database, its logs) when PREFECT_HOME names one."""
    home = os.environ.get("PREFECT_HOME")
    return Path(home) if home else None


def prefect_api_url() -> str | None:
    """The Prefect server the user chose (PREFECT_API_URL), if any."""
    return os.environ.get("PREFECT_API_URL") or None


def use_prefect_api(url: str | None) -> None:
    """Point Prefect (imported after this) and the processes we start at the server at `url` (None: forget it)."""
    if url is None:
        os.environ.pop("PREFECT_API_URL", None)
    else:
        os.environ["PREFECT_API_URL"] = url


def prefect_server_environment() -> dict[str, str]:
    """The environment of a Prefect server we start: ours, with slot leases kept on disk unless the user chose."""
    return PREFECT_SERVER_DEFAULTS | dict(os.environ)


def pin_for_served_runs(settings: Settings) -> None:
    """Make the runs of a served deployment read the data dir and warehouse the shell resolved.

    A served run is a process of its own: it gets no settings object, and reads
    papertrend.toml and PAPERTREND_* afresh (a changed setting applies from the
    next run), so the paths the shell resolved go into the environment it inherits.
    """
    os.environ[f"{ENV_PREFIX}DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.warehouse is not None:
        os.environ[f"{ENV_PREFIX}WAREHOUSE"] = str(settings.warehouse.resolve())


def served_run_id() -> str | None:
    """The Prefect flow run this process was started for by `serve`'s runner, if it was."""
    return os.environ.get("PREFECT__FLOW_RUN_ID") or None


def test_submit_delay() -> float:
    """Test only: seconds a served run's process waits before its run starts (it stays PENDING meanwhile).

    PAPERTREND_TEST_SUBMIT_DELAY makes the window in which `serve` is killed
    mid-submission wide enough for a test to hit (tests/flows/test_serve.py).
    """
    try:
        return max(0.0, float(os.environ.get(f"{ENV_PREFIX}TEST_SUBMIT_DELAY", "0")))
    except ValueError:
        return 0.0
