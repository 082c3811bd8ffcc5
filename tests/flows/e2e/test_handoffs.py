"""Settings and the progress listener reach a flow run from the caller's context, through Prefect's engine."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from prefect import flow, task

from flows import progress
from flows.ingest import backfill
from flows.settings import Settings, run_settings, settings_in_use
from tests.factories import DAYS, overrides_for, run_flow

seen_by_name: list[Path] = []


def _name() -> str:
    seen_by_name.append(run_settings().data_dir)
    return "handoff"


@task
def data_dir_in_task() -> Path:
    return run_settings().data_dir


@flow(flow_run_name=_name)
def data_dirs() -> tuple[Path, Path, Path]:
    """What the run's body, an inline task and a task in the runner's thread pool see."""
    return run_settings().data_dir, data_dir_in_task(), data_dir_in_task.submit().result()


def test_a_flow_run_its_name_and_its_tasks_get_the_settings_of_the_block(tmp_path):
    seen_by_name.clear()
    with settings_in_use(Settings.load(data_dir=tmp_path / "handed")):
        assert data_dirs() == (tmp_path / "handed",) * 3
    assert seen_by_name == [tmp_path / "handed"]


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_outside_a_block_a_run_reads_its_settings_afresh(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERTREND_DATA_DIR", str(tmp_path / "from-env"))  # as a served run's process
    with settings_in_use(Settings.load(data_dir=tmp_path / "handed")):
        pass
    assert data_dirs()[0] == tmp_path / "from-env"


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_runs_started_in_two_threads_at_once_each_get_their_own(tmp_path):
    barrier, results = threading.Barrier(2), {}

    def command(name: str) -> None:
        with settings_in_use(Settings.load(data_dir=tmp_path / name)):
            barrier.wait()  # both blocks are open before either run starts ...
            results[name] = data_dirs()[0]
            barrier.wait()  # ... and until both have run

    threads = [threading.Thread(target=command, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"a": tmp_path / "a", "b": tmp_path / "b"}


class Tally:
    def __init__(self) -> None:
        self.begun: list[int] = []
        self.done = 0

    def begin(self, total: int, label: str) -> None:
        self.begun.append(total)

    def advance(self, steps: int) -> None:
        self.done += steps


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_the_progress_of_a_run_reaches_the_listener_of_the_context_that_started_it(site, tmp_path):
    tally, elsewhere = Tally(), Tally()
    overrides = overrides_for(tmp_path / "data", site.base_url, arxiv_enabled=False)
    progress.set_listener(tally)
    other = threading.Thread(target=progress.set_listener, args=(elsewhere,))  # another command's, later
    other.start()
    other.join()
    try:
        run_flow(overrides, backfill, date.fromisoformat(DAYS[0]), date.fromisoformat(DAYS[-1]))
    finally:
        progress.set_listener(None)
    assert (tally.begun, tally.done) == ([3], 3)
    assert (elsewhere.begun, elsewhere.done) == ([], 0)
