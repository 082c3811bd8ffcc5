"""A run opens the warehouse for writing once to start, once per batch and once to finish, and a process
migrates a warehouse file once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

import warehouse.db
from flows.ingest import backfill, ingest
from tests.factories import DAYS, overrides_for, run_flow
from warehouse.paths import snapshot_path


class Opens:
    """Counts DuckDB's read-write opens of one file, and the migrations run on any."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
        self.path, self.writes, self.migrations = path, 0, 0
        connect, migrate = duckdb.connect, warehouse.db.migrate

        def counted_connect(database: str = ":memory:", read_only: bool = False, **kwargs: object):
            self.writes += Path(database) == self.path and not read_only
            return connect(database, read_only=read_only, **kwargs)

        def counted_migrate(con: duckdb.DuckDBPyConnection) -> int:
            self.migrations += 1
            return migrate(con)

        monkeypatch.setattr(duckdb, "connect", counted_connect)
        monkeypatch.setattr(warehouse.db, "migrate", counted_migrate)

    def reset(self) -> None:
        self.writes = self.migrations = 0


def test_a_one_batch_ingest_opens_the_warehouse_for_writing_three_times_and_migrates_it_once(
    site, tmp_path, monkeypatch
):
    overrides = overrides_for(tmp_path / "data", site.base_url, arxiv_enabled=False)
    opens = Opens(monkeypatch, tmp_path / "data" / "warehouse.duckdb")
    summary = run_flow(overrides, ingest, date.fromisoformat(DAYS[-1]), 0)
    assert summary.new_papers == 3 and snapshot_path(opens.path).exists()
    assert (opens.writes, opens.migrations) == (3, 1)

    opens.reset()  # the same file again in this process: opened as often, never migrated again
    summary = run_flow(overrides, ingest, date.fromisoformat(DAYS[-1]), 0)
    assert (summary.days_requested, summary.pages_not_modified) == (1, 1)
    assert (opens.writes, opens.migrations) == (3, 0)


def test_each_further_batch_opens_the_warehouse_once_more(site, tmp_path, monkeypatch):
    overrides = overrides_for(tmp_path / "data", site.base_url, arxiv_enabled=False, batch_days=1)
    opens = Opens(monkeypatch, tmp_path / "data" / "warehouse.duckdb")
    summary = run_flow(overrides, backfill, date.fromisoformat(DAYS[0]), date.fromisoformat(DAYS[-1]))
    assert summary.new_papers == 9
    assert (opens.writes, opens.migrations) == (3 + 2, 1)


def test_a_warehouse_changed_by_another_process_is_checked_again(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    opens = Opens(monkeypatch, path)
    with warehouse.db.connect(path):
        pass
    with warehouse.db.connect(path):
        pass
    assert opens.migrations == 1
    other = duckdb.connect(str(path))  # as another process (or an older copy put in its place) would
    other.execute("CREATE TABLE scribble (x INTEGER)")
    other.execute("CHECKPOINT")
    other.close()
    with warehouse.db.connect(path):
        pass
    assert opens.migrations == 2
