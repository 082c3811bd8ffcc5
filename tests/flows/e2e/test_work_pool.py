"""README "When one machine is not enough", for real: a Prefect server on a throwaway PostgreSQL cluster with
authentication and filesystem leases, the work pool, `prefect deploy --all`, the lost-run automation, two
workers in folders of their own; an ingest held mid-run across a server restart, its worker killed with the
run; the run found dead and run again; the weekly report. Every command is the README's."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest

from bench import crash_matrix
from common.sources import HF_API_FOLDER
from digest_replay.server import ReplayServer
from digest_replay.synthetic.hf import generate_corpus
from flows.prefect_server import answers, free_port
from flows.work_pool import POOL, QUEUE
from tests.factories import HoldingReplay
from tests.postgres import postgres_bin, throwaway_cluster
from tests.readme import console_commands, reader_env, section

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
TITLE = "When one machine is not enough"
AUTH = "papertrend:test-secret"
BIN = Path(sys.executable).parent
# What an ingest leaves in the warehouse, as the crash matrix compares it (not reports: only one side has one).
STATE = {name: sql for name, sql in crash_matrix.STATE.items() if name != "reports"}


def _commands() -> dict[str, tuple[str, list[str]]]:
    """The README's commands by what they do (the words after `prefect`, up to the first option)."""
    named = {}
    for command, shown in console_commands(TITLE):
        words = [w for w in shlex.split(command)[1:] if not w.startswith("-")][:2]
        named[" ".join(words)] = (command, shown)
    return named


def _env_block(keys_of: str) -> set[str]:
    """The variable names of the README's sh block that mentions `keys_of`."""
    for block in section(TITLE).split("```sh\n")[1:]:
        body = block.split("```", 1)[0]
        if keys_of in body:
            return {line.split("=", 1)[0] for line in body.splitlines() if "=" in line}
    raise AssertionError(f"no sh block with {keys_of} in the README section")


def _clean_env() -> dict[str, str]:
    """This process's environment without Prefect's or papertrend's settings (the test harness sets some)."""
    kept = {k: v for k, v in reader_env().items() if not k.startswith(("PREFECT_", "PAPERTREND_"))}
    return kept | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DO_NOT_TRACK": "1"}


class Server:
    """`prefect server start` as the README runs it, in a process group of its own (stopped with it)."""

    def __init__(self, command: str, port: int, env: dict[str, str], log: Path) -> None:
        self.argv = shlex.split(command.replace("4200", str(port)))
        self.url, self.env, self.log = f"http://127.0.0.1:{port}/api", env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            if answers(self.url):
                return
            time.sleep(0.5)
        pytest.fail(f"the Prefect server never answered: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _stop_group(self.process)


def _stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass


@contextmanager
def _database():
    """PostgreSQL's URL; None (SQLite) only where PostgreSQL is not installed and this is not CI."""
    if postgres_bin() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed; CI installs it with `make ci-packages` (Debian's postgresql)")
        yield None
        return
    with throwaway_cluster() as url:
        yield url


def _client(env: dict[str, str]):
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(env["PREFECT_API_URL"], auth_string=env["PREFECT_API_AUTH_STRING"])


def _runs(env: dict[str, str], deployment: str) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with _client(env) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment])),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        )


def _wait_for(what: str, check, timeout: float, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _state(data: Path) -> tuple:
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb")) as con:  # read-write: replays or drops a WAL, as a run would
        return tuple(tuple(con.execute(sql).fetchall()) for sql in STATE.values())


def _engine_of(worker: subprocess.Popen) -> psutil.Process | None:
    """The flow-run process a worker started (it runs in a session of its own), if any."""
    for child in psutil.Process(worker.pid).children(recursive=True):
        try:
            if "prefect.engine" in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    return None


def test_the_readme_work_pool_on_postgresql_survives_a_restart_and_a_dead_worker(tmp_path):
    commands = _commands()
    today = datetime.now(UTC).date()
    corpus = tmp_path / "corpus"
    summary = generate_corpus(corpus, days=12, papers_per_day=6, arxiv=False, end=today)
    days = sorted(p.name[:10] for p in (corpus / HF_API_FOLDER).iterdir())
    held_day = days[len(days) // 2]  # earlier batches (of 3 days) are loaded when it is asked for, later ones not
    refresh = (today - summary.first_date).days
    port = free_port()
    base = _clean_env()
    with _database() as database, HoldingReplay(corpus, held_day) as replay:
        server_env = base | {
            "PREFECT_HOME": str(tmp_path / "server-home"),
            "PREFECT_SERVER_API_AUTH_STRING": AUTH,
            "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
        }
        if database:
            server_env["PREFECT_API_DATABASE_CONNECTION_URL"] = database
        # The README's server environment is the one this test gives the server (its values are ours).
        assert _env_block("PREFECT_SERVER_API_AUTH_STRING") <= set(server_env) | {"PREFECT_API_DATABASE_CONNECTION_URL"}
        server = Server(commands["server start"][0], port, server_env, tmp_path / "server.log")
        client_env = base | {
            "PREFECT_API_URL": server.url,
            "PREFECT_API_AUTH_STRING": AUTH,
            "PREFECT_HOME": str(tmp_path / "client-home"),
        }
        assert _env_block("PREFECT_API_AUTH_STRING") - {"PREFECT_SERVER_API_AUTH_STRING"} <= set(client_env)
        run_env = client_env | {
            "PAPERTREND_DATA_DIR": str(tmp_path / "data"),
            "PAPERTREND_HF_BASE_URL": replay.base_url,
            "PAPERTREND_HF_API_INTERVAL": "0",
            "PAPERTREND_HF_PAGE_INTERVAL": "0",
            "PAPERTREND_ARXIV_ENABLED": "false",
            "PAPERTREND_REFRESH_DAYS": str(refresh),
            "PAPERTREND_BATCH_DAYS": "3",
            "PAPERTREND_FETCH_READ_TIMEOUT": "600",
            "PAPERTREND_FETCH_DEADLINE": "600",
        }
        workers: list[subprocess.Popen] = []
        server.start()
        try:
            # Authentication: no secret, no API.
            assert httpx.post(f"{server.url}/flow_runs/filter", json={}).status_code == 401
            assert httpx.post(f"{server.url}/flow_runs/filter", json={}, auth=tuple(AUTH.split(":"))).status_code == 200

            for name in ("work-pool create", "work-queue create", "deploy", "automation create"):
                command, shown = commands[name]
                done = subprocess.run(
                    shlex.split(command), env=client_env, cwd=ROOT, capture_output=True, text=True, timeout=300
                )
                (tmp_path / f"{name.replace(' ', '-')}.out").write_text(done.stdout)
                assert done.returncode == 0, f"{command}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                for line in shown:
                    assert line in done.stdout, f"{command}: {line!r} not in {done.stdout[-2000:]}"
            _check_deployments(client_env)

            worker_command = shlex.split(commands["worker start"][0])
            for n in (1, 2):
                home = tmp_path / f"worker-{n}"
                home.mkdir()
                with open(tmp_path / f"worker-{n}.log", "w") as log:  # the worker keeps its own copy open
                    workers.append(
                        subprocess.Popen(
                            worker_command,
                            env=run_env | {"PREFECT_HOME": str(home / ".prefect")},
                            cwd=home,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )

            # An ingest, held at one day of the corpus: its first batches are in the warehouse, the rest to come.
            ingest_command = next(
                c for c, _ in console_commands(TITLE) if "ingest/hf-daily" in c
            )  # its watch ends Crashed
            watching = subprocess.Popen(
                shlex.split(ingest_command), env=client_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            assert replay.reached.wait(240), "the ingest never reached the held day"
            first = _wait_for("the ingest run", lambda: _runs(client_env, "hf-daily"), 30)[0]
            assert first.state.name == "Running"

            # The server restarts under the running run: its deployment's lease is still there afterwards.
            leases = tmp_path / "server-home" / "concurrency_leases"
            held = [p.stem for p in leases.glob("*.json") if p.stem != "expirations"]
            assert len(held) == 1, sorted(p.name for p in leases.iterdir())
            server.stop()
            server.start()
            from uuid import UUID

            with _client(client_env) as client:
                client.renew_concurrency_lease(UUID(held[0]), lease_duration=300)  # a lost lease answers 410

            # The worker running it dies with its run, as when its host goes down.
            busy = next(w for w in workers if _engine_of(w) is not None)
            engine = _engine_of(busy)
            assert engine is not None
            engine_group = os.getpgid(engine.pid)
            os.killpg(busy.pid, signal.SIGKILL)
            os.killpg(engine_group, signal.SIGKILL)
            busy.wait(timeout=30)
            killed_at = time.monotonic()
            replay.released.set()

            crashed = _wait_for(
                "the killed run to be marked Crashed",
                lambda: (r := _one(client_env, first.id)).state.name == "Crashed" and r,
                timeout=300,
            )
            detected = time.monotonic() - killed_at
            assert "no heartbeat" in (crashed.state.message or "")
            again = _wait_for(
                "the run again to complete",
                lambda: [r for r in _runs(client_env, "hf-daily") if r.id != first.id and r.state.name == "Completed"],
                timeout=300,
            )
            assert len(again) == 1
            output, _ = watching.communicate(timeout=60)  # the README's watch of it: here it ends Crashed
            assert "Flow run finished in state 'Crashed'." in output.decode(), output.decode()[-2000:]

            # The weekly report, on the surviving worker.
            report_command, shown = next(c for c in console_commands(TITLE) if "weekly-report/weekly-report" in c[0])
            done = subprocess.run(
                shlex.split(report_command), env=client_env, cwd=ROOT, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0 and shown[-1] in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
        finally:
            replay.released.set()
            for worker in workers:
                _stop_group(worker, signal.SIGKILL)
            server.stop()

    data = tmp_path / "data"
    assert list((data / "reports").rglob("*.md")), "the weekly report wrote no file"
    # The warehouse equals a clean run's: one ingest by hand over the same corpus, nothing killed.
    clean = tmp_path / "clean"
    with ReplayServer(corpus) as replay:
        clean_env = run_env | {"PAPERTREND_DATA_DIR": str(clean), "PAPERTREND_HF_BASE_URL": replay.base_url}
        clean_env = {k: v for k, v in clean_env.items() if not k.startswith("PREFECT_API")}
        clean_env["PREFECT_HOME"] = str(tmp_path / "clean-prefect")
        done = subprocess.run(
            [str(BIN / "papertrend"), "ingest"], env=clean_env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert _state(data) == _state(clean)
    assert _state(data)[0], "no paper loaded"
    print(f"killed run marked Crashed {detected:.0f} s after the kill")


def _one(env: dict[str, str], run_id):
    with _client(env) as client:
        return client.read_flow_run(run_id)


def _check_deployments(env: dict[str, str]) -> None:
    """The deployments are serve's, on the pool's warehouse queue, with their code in this checkout."""
    with _client(env) as client:
        found = {d.name: d for d in client.read_deployments()}
    assert set(found) == {"hf-daily", "arxiv-daily", "weekly-report"}
    for deployment in found.values():
        assert (deployment.work_pool_name, deployment.work_queue_name) == (POOL, QUEUE)
        steps = json.dumps(deployment.pull_steps)
        assert str(ROOT) in steps, steps
        assert deployment.concurrency_limit == 1 or deployment.global_concurrency_limit.limit == 1
    assert any(s.schedule.timezone == "America/New_York" for s in found["arxiv-daily"].schedules)
