"""`papertrend serve` against a real Prefect server: a scheduled run fires and completes."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest_replay.server import ReplayServer
from tests.factories import write_tiny_corpus
from warehouse.db import connect_for_reading


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _completed_runs(data) -> list[tuple[str, str]]:
    try:
        with connect_for_reading(data / "warehouse.duckdb") as con:
            return con.execute("SELECT flow, status FROM runs WHERE status <> 'running'").fetchall()
    except Exception:
        return []


@pytest.mark.slow
def test_serve_starts_its_own_prefect_server_and_a_one_minute_schedule_fires(tmp_path):
    data = tmp_path / "data"
    with ReplayServer(write_tiny_corpus(tmp_path / "corpus")) as site:
        env = _every_minute_env(data, site.base_url)
        serving = subprocess.Popen(
            [sys.executable, "-m", "papertrend.cli", "serve"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 200  # the server starts, the next minute comes, the run ends
            while not _completed_runs(data) and time.monotonic() < deadline and serving.poll() is None:
                time.sleep(2)
            runs = _completed_runs(data)
        finally:
            serving.send_signal(signal.SIGINT)
            try:
                output, _ = serving.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                serving.kill()
                output, _ = serving.communicate()
    assert ("ingest", "completed") in runs, output
    assert (data / "prefect").is_dir()  # Prefect's own database lives under the data dir


@pytest.mark.slow
def test_one_shot_commands_are_recorded_in_the_server_of_server_start(tmp_path):
    import httpx

    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "PREFECT_HOME"))}
    env |= {"PAPERTREND_DATA_DIR": str(data), "PAPERTREND_PREFECT_PORT": str(_free_port())}

    def papertrend(*args, extra=None):
        return subprocess.run(
            [sys.executable, "-m", "papertrend.cli", *args], env=env | (extra or {}), capture_output=True, text=True
        )

    started = papertrend("server", "start")
    assert started.returncode == 0, started.stderr
    try:
        url = json.loads((data / "prefect" / "server.json").read_text())["url"]
        with ReplayServer(write_tiny_corpus(tmp_path / "corpus")) as site:
            replay = {"PAPERTREND_HF_BASE_URL": site.base_url, "PAPERTREND_HF_API_INTERVAL": "0"}
            loaded = papertrend(
                "backfill", "2026-04-06", "2026-04-08", extra=replay | {"PAPERTREND_ARXIV_ENABLED": "false"}
            )
        reported = papertrend("report", "--week", "2026-W15")
        assert loaded.returncode == 0 and reported.returncode == 0, loaded.stderr + reported.stderr
        runs = httpx.post(f"{url}/flow_runs/filter", json={}, timeout=10).json()
        assert sorted((r["name"], r["state_type"]) for r in runs) == [
            ("backfill 2026-04-06..2026-04-08", "COMPLETED"),
            ("weekly-report 2026-W15", "COMPLETED"),
        ]
    finally:
        assert papertrend("server", "stop").returncode == 0


def _runs_in_state(url: str, *types: str) -> list[dict]:
    import httpx

    try:
        body = {"flow_runs": {"state": {"type": {"any_": list(types)}}}}
        return httpx.post(f"{url}/flow_runs/filter", json=body, timeout=5).json()
    except httpx.HTTPError:
        return []


def _every_minute_env(data: Path, base_url: str) -> dict[str, str]:
    """A `serve` of hf-daily every minute against the replay at `base_url`, with a Prefect server of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "PREFECT_HOME"))}
    return env | {
        "PAPERTREND_DATA_DIR": str(data),
        "PAPERTREND_HF_BASE_URL": base_url,
        "PAPERTREND_HF_API_INTERVAL": "0",
        "PAPERTREND_ARXIV_ENABLED": "false",
        "PAPERTREND_REFRESH_DAYS": "1",
        "PAPERTREND_SCHEDULE_HF": "* * * * *",
        "PAPERTREND_PREFECT_PORT": str(_free_port()),
    }


def _running_a_flow(process: subprocess.Popen) -> bool:
    import psutil

    def command(child: psutil.Process) -> str:
        try:
            return " ".join(child.cmdline())
        except (psutil.ZombieProcess, psutil.NoSuchProcess):  # a run that has just ended, not yet reaped
            return ""

    return any("prefect.engine" in command(child) for child in psutil.Process(process.pid).children())


def _wait_for(found, process: subprocess.Popen, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if value := found():
            return value
        time.sleep(1)
    process.kill()
    raise AssertionError(f"gave up waiting: {process.communicate()[0]}")


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_after_serve_is_killed_mid_submission_and_restarted_the_next_scheduled_run_completes(tmp_path, how):
    import httpx
    import psutil

    data = tmp_path / "data"
    with ReplayServer(write_tiny_corpus(tmp_path / "corpus")) as site:
        env = _every_minute_env(data, site.base_url)

        def serve(extra: dict[str, str]) -> subprocess.Popen:
            return subprocess.Popen(
                [sys.executable, "-c", IGNORING_SIGINT, "serve"],
                env=env | extra,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )

        first = serve({"PAPERTREND_TEST_SUBMIT_DELAY": "600"})  # its first run stays PENDING
        record = data / "prefect" / "server.json"
        url = _wait_for(lambda: record.exists() and json.loads(record.read_text())["url"], first)
        stuck = _wait_for(lambda: _runs_in_state(url, "PENDING"), first)[0]
        ours = psutil.Process(first.pid).children(recursive=True)
        os.kill(first.pid, how)
        first.communicate(timeout=60)
        assert first.returncode == (130 if how == signal.SIGINT else -9)
        deadline = time.monotonic() + 30
        while any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in ours) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert [p for p in ours if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []

        second = serve({})
        done = _wait_for(lambda: _runs_in_state(url, "COMPLETED"), second)
        left = httpx.get(f"{url}/flow_runs/{stuck['id']}", timeout=5).json()
        # Stopped while no run is in flight (serve's runner cancels those), once it has told the run's end.
        _wait_for(lambda: not _running_a_flow(second) or None, second, seconds=60)
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=60)
    assert second.returncode == 143, output
    assert done[0]["name"].startswith("ingest 20") and done[0]["id"] != stuck["id"]
    assert left["state_type"] in ("CRASHED", "CANCELLED")  # ended: its slot came back
    assert f"{done[0]['name']}: started" in output and f"{done[0]['name']}: Completed in" in output, output


# serve as a script's `papertrend serve &` starts it: with SIGINT ignored, which it inherits.
IGNORING_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, '-m', 'papertrend.cli', *sys.argv[1:]])"
)
