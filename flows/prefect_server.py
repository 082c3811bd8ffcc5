"""A local Prefect API server owned by papertrend: started, health-checked, recorded, found and stopped.

Prefect's `server start --background` returns before the API answers, and a
server started by a process killed with SIGKILL outlives it; so we start the
server ourselves, wait for /api/health, and on Linux ask the kernel to end it
with us (PR_SET_PDEATHSIG) unless it is meant to run on its own.

The server record (`<data_dir>/prefect/server.json`: url and pid) is written
and read only here: `papertrend server start` and a `serve` that started its
own server write it, so that one-shot commands and `status` find the server.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from common.errors import PapertrendError
from flows.prefect_env import prefect_api_url, prefect_server_environment, use_prefect_api

HEALTH_TIMEOUT = 90.0  # a fresh server migrates its SQLite first: 7-12 s here
STOP_GRACE_SECONDS = 10.0  # it stops in ~1 s on SIGTERM here; SIGKILL after this
SERVER_RECORD = "server.json"  # <data_dir>/prefect/server.json: url and pid of the local server
_PR_SET_PDEATHSIG = 1


class ServerUnavailable(PapertrendError):
    """The local Prefect server did not start, or does not answer."""


class ServerNotRunning(ServerUnavailable):
    """No recorded local Prefect server answers (`papertrend server status`)."""


@dataclass(frozen=True)
class LocalServer:
    """Where a local Prefect server listens, and its process."""

    url: str
    pid: int

    def record(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"url": self.url, "pid": self.pid}) + "\n")


def api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def answers(url: str) -> bool:
    """Does the Prefect API at `url` answer its health check?"""
    try:
        return httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now (for a temporary server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, port: int, *, detached: bool = False) -> tuple[LocalServer, subprocess.Popen[bytes]]:
    """Start `prefect server start` on 127.0.0.1:`port` with its database under `home`; wait until it answers.

    Unless `detached`, the server dies with this process, however it ends (`prefect server start`
    runs the API in its own process: no children of its own). Raises ServerUnavailable.
    """
    url = api_url(port)
    if answers(url):
        raise ServerUnavailable(f"something already answers at {url}; stop it or set [prefect] port")
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "server.log", "ab")  # noqa: SIM115 - the server writes it for as long as it runs
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=prefect_server_environment(),
        preexec_fn=None if detached else die_with_parent,
        start_new_session=detached,
    )
    log.close()
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while not answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise ServerUnavailable(f"the Prefect server did not come up at {url}; see {home / 'server.log'}")
        time.sleep(0.25)
    return LocalServer(url, process.pid), process


def stop_server(pid: int) -> None:
    """End the server process `pid` of `papertrend server start` (SIGTERM, then SIGKILL after STOP_GRACE_SECONDS)."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def stop_started(process: subprocess.Popen[bytes]) -> None:
    """End a server this process started (SIGTERM, then SIGKILL after STOP_GRACE_SECONDS) and reap it."""
    process.terminate()
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def drain_run_logs() -> None:
    """Send the run log lines and events Prefect still queues for its API before a server we started stops."""
    from prefect.logging.handlers import APILogHandler

    # While draining, Prefect's events worker logs "Still processing items" each time it looks at its queue:
    # progress, not a problem, and not for the terminal of a command that is about to say how it ended.
    worker_log = logging.getLogger("EventsWorker")
    level = worker_log.level
    worker_log.setLevel(logging.ERROR)
    try:
        APILogHandler().flush()  # drains the events worker too
    finally:
        worker_log.setLevel(level)


def die_with_parent() -> None:
    """Ask the kernel to send this process SIGTERM when its parent (the thread that started it) ends, however.

    Run in a child before exec (a server we start), or by a served run's own process.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def server_home(data_dir: Path) -> Path:
    """Where the local server keeps its database, log and record."""
    return data_dir / "prefect"


def record_path(data_dir: Path) -> Path:
    """The server record of the data dir `data_dir`."""
    return server_home(data_dir) / SERVER_RECORD


def recorded_server(data_dir: Path) -> LocalServer | None:
    """The local server recorded for `data_dir`, answering or not; None when none is recorded (or the record is
    unreadable)."""
    try:
        doc = json.loads(record_path(data_dir).read_text())
        return LocalServer(str(doc["url"]), int(doc["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def answering_server(data_dir: Path) -> LocalServer | None:
    """The local server recorded for `data_dir` when it answers its health check, else None."""
    recorded = recorded_server(data_dir)
    return recorded if recorded is not None and answers(recorded.url) else None


def known_api_url(data_dir: Path) -> str | None:
    """The Prefect API to ask about runs: the one the user chose, else the recorded local server's (answering or
    not: the caller says when it does not answer)."""
    recorded = recorded_server(data_dir)
    return prefect_api_url() or (recorded.url if recorded else None)


def start_recorded_server(data_dir: Path, port: int) -> LocalServer:
    """Start a local server that outlives this process (`papertrend server start`) and record it."""
    server, _ = start_server(server_home(data_dir), port, detached=True)
    server.record(record_path(data_dir))
    return server


def stop_recorded_server(data_dir: Path) -> LocalServer | None:
    """Stop the recorded local server and forget it; None when none is recorded."""
    recorded = recorded_server(data_dir)
    if recorded is None:
        return None
    stop_server(recorded.pid)
    record_path(data_dir).unlink(missing_ok=True)
    return recorded


@contextmanager
def prefect_api_in_use(data_dir: Path) -> Iterator[None]:
    """Flows started in the block report to a Prefect server: the one Prefect is set to use
    (PREFECT_API_URL, a test harness), else the recorded server of `papertrend server start` when it answers
    (which also spares the ~10 s of starting one), else a temporary one that dies with this process.

    Prefect's own temporary ("ephemeral") server outlived a command killed with
    SIGKILL or SIGTERM (~220 MB each); ours is ended by the kernel (die_with_parent).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    running = answering_server(data_dir)
    owned = None
    if running is not None:
        url = running.url
    else:
        server, owned = start_server(server_home(data_dir), free_port())
        url = server.url
    use_prefect_api(url)  # for processes we start
    try:
        # Prefect read its settings when it was imported (the command imported its flow already).
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield
    finally:
        use_prefect_api(None)
        if owned is not None:
            drain_run_logs()
            stop_started(owned)


@contextmanager
def serving_api(data_dir: Path, port: int) -> Iterator[str]:
    """The Prefect API for `serve`, for the block: PREFECT_API_URL when set, else the recorded server when it
    answers, else a server started on `port` and recorded (so that `status` and one-shot commands find it)
    until the block ends, when it is stopped and forgotten."""
    chosen = prefect_api_url()
    if chosen:
        yield chosen
        return
    running = answering_server(data_dir)
    if running is not None:
        use_prefect_api(running.url)
        yield running.url
        return
    server, process = start_server(server_home(data_dir), port)
    use_prefect_api(server.url)
    server.record(record_path(data_dir))
    try:
        yield server.url
    finally:  # the runs' logs went from their own processes, which have ended
        stop_started(process)
        recorded = recorded_server(data_dir)
        if recorded is not None and recorded.pid == process.pid:
            record_path(data_dir).unlink(missing_ok=True)
