"""Killed one-shot commands leave no process behind, and SIGTERM stops one like Ctrl-C: one line, exit 143."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from digest_replay.server import Fault, ReplayServer
from tests.factories import write_tiny_corpus
from warehouse.db import connect

COMMANDS = {
    "ingest": ["ingest", "2026-04-08", "--refresh-days", "1"],
    "backfill": ["backfill", "2026-04-06", "2026-04-08"],
    "arxiv-history": ["arxiv-history", "cs.LG", "2026-04-06", "2026-04-07"],
    "report": ["report"],
    "email": ["email", "--dry-run"],
    "reextract": ["reextract"],
}


def _environment(tmp_path, site) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "PREFECT_HOME"))}
    return env | {
        "PAPERTREND_DATA_DIR": str(tmp_path / "data"),
        "PAPERTREND_HF_BASE_URL": site.base_url,
        "PAPERTREND_HF_API_INTERVAL": "0",
        "PAPERTREND_ARXIV_ENABLED": "false",
        "PAPERTREND_ARXIV_API_URL": site.base_url,
        "PAPERTREND_FETCH_READ_TIMEOUT": "120",
        "PAPERTREND_FETCH_DEADLINE": "300",
    }


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "papertrend.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as cron or a script starts it; no signal of the test's reaches it
    )


def _descendants_once_started(process: subprocess.Popen) -> list[psutil.Process]:
    """The command's processes as soon as it has started one (its temporary Prefect server)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        children = psutil.Process(process.pid).children(recursive=True)
        if children:
            return children
        time.sleep(0.1)
    raise AssertionError(f"no child process appeared: {process.communicate()}")


def _left(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of `processes` still alive once the kernel and their own shutdown had a while to end them."""
    deadline = time.monotonic() + 30
    alive = processes
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.2)
    return alive


@pytest.fixture(scope="module")
def stalled_site(tmp_path_factory):
    """A replay whose every answer takes a minute: a command killed mid-fetch is still working."""
    with ReplayServer(write_tiny_corpus(tmp_path_factory.mktemp("corpus"))) as site:
        site.faults.append(Fault.parse("stall:60@/"))
        yield site


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_killed_command_leaves_no_process_of_ours(tmp_path, stalled_site, command, how):
    process = _start(COMMANDS[command], _environment(tmp_path, stalled_site))
    ours = _descendants_once_started(process)
    os.kill(process.pid, how)
    _, stderr = process.communicate(timeout=60)
    assert _left(ours) == []
    if how == signal.SIGTERM:
        assert process.returncode == 143
        assert [line for line in stderr.splitlines() if line.startswith("error: ")] == ["error: terminated (SIGTERM)"]


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_run_stopped_by_a_signal_is_recorded_as_interrupted(tmp_path, stalled_site, how):
    env = _environment(tmp_path, stalled_site)
    # SIGINT ignored by whoever started it, as `papertrend ingest &` in a script does: Ctrl-C must still stop it.
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, os, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
            "os.execv(sys.executable, [sys.executable, '-m', 'papertrend.cli', *sys.argv[1:]])",
            *COMMANDS["ingest"],
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    asked = len(stalled_site.requests)
    deadline = time.monotonic() + 120
    while len(stalled_site.requests) == asked and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)  # until the run fetches its first page
    os.kill(process.pid, how)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[how], stderr
    with connect(tmp_path / "data" / "warehouse.duckdb") as con:
        assert con.execute("SELECT status, error FROM runs").fetchall() == [("interrupted", how.name)]
