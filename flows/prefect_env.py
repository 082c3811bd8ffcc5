"""Environment Prefect must see before it is imported: a home under the data dir, no phoning home."""
from __future__ import annotations

import os
from pathlib import Path


def prepare_prefect_env(data_dir: Path) -> None:
    """Set Prefect's home, telemetry and log settings unless the user already chose them."""
    os.environ.setdefault("PREFECT_HOME", str((data_dir / "prefect").resolve()))
    # Prefect creates its home without parents; a fresh data dir has none yet.
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
