"""A throwaway PostgreSQL cluster for tests (Debian's postgresql package): initdb into a temporary folder, a
server on a free loopback port, trust authentication from 127.0.0.1 only, removed with the folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from glob import glob
from pathlib import Path

from flows.prefect_server import free_port


def postgres_bin() -> Path | None:
    """Debian's newest PostgreSQL server binaries (/usr/lib/postgresql/N/bin), or None when not installed."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A fresh cluster in a temporary folder with a database `prefect`; yields its SQLAlchemy asyncpg URL.

    PostgreSQL refuses to run as root: as root the cluster belongs to the
    `postgres` user the Debian package creates, and its commands run as it
    (in a folder of /tmp, which that user can reach, unlike pytest's).
    """
    binaries = postgres_bin()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian: apt-get install postgresql; make ci-packages)")
    as_owner: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="papertrend-postgres-"))
    if os.geteuid() == 0:
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_owner, *args], check=True, capture_output=True, text=True, timeout=120)

    started = False
    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o", options, "start")
        started = True
        psql = [str(binaries / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        run(*psql, "-c", "CREATE DATABASE prefect")
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/prefect"
    finally:
        if started:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
