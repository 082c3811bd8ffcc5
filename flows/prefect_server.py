"""A local Prefect API server owned by papertrend: started, health-checked, recorded and stopped.

Prefect's `server start --background` returns before the API answers, and a
server started by a process killed with SIGKILL outlives it; so we start the
server ourselves, wait for /api/health, and on Linux ask the kernel to end it
with us (PR_SET_PDEATHSIG) unless it is meant to run on its own.
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
from dataclasses import dataclass
from pathlib import Path

import httpx

from extractors.errors import PapertrendError
from flows.prefect_env import prefect_server_environment

HEALTH_TIMEOUT = 90.0  # a fresh server migrates its SQLite first: 7-12 s here
STOP_GRACE_SECONDS = 10.0  # it stops in ~1 s on SIGTERM here; SIGKILL after this
_PR_SET_PDEATHSIG = 1


class ServerUnavailable(PapertrendError):
    """The local Prefect server did not start, or does not answer."""


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
