import ast
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.factories import DAY, T0, held_by_another_process, page, record
from warehouse import load, queries
from warehouse.db import connect
from warehouse.errors import WarehouseLocked, WarehouseMissing
from warehouse.load import PageResult, load_pages, rebuild_from_pages
from warehouse.schema import migrate, migrations

SQL = Path(load.__file__).parent / "sql"


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_a_fresh_warehouse_is_at_the_latest_schema_version(warehouse):
    assert rows(warehouse, "SELECT max(version) FROM schema_version") == [(migrations()[-1][0],)]
    assert migrate(warehouse) == migrations()[-1][0]


def test_loading_the_same_page_twice_adds_nothing(warehouse):
    batch = [PageResult(page(), [record(), record("2604.00002", rank=2)])]
    first = load_pages(warehouse, batch, run_id="r1")
    before = queries.content_hash(warehouse)
    second = load_pages(warehouse, batch, run_id="r2")
    assert (first.new_papers, first.new_sightings) == (2, 2)
    assert (second.new_papers, second.new_sightings, second.updated_sightings) == (0, 0, 0)
    assert queries.content_hash(warehouse) == before


def test_a_later_fetch_updates_counts_in_place_and_keeps_first_observation(warehouse):
    load_pages(warehouse, [PageResult(page(), [record(upvotes=3)])], run_id="r1")
    later = T0 + timedelta(days=1)
    counts = load_pages(warehouse, [PageResult(page("b" * 64, at=later), [record(upvotes=40, at=later)])], run_id="r2")
    assert (counts.new_sightings, counts.updated_sightings) == (0, 1)
    assert rows(warehouse, "SELECT upvotes, first_observed_at, observed_at FROM sightings") == [(40, T0, later)]


def test_an_older_observation_never_overwrites_a_newer_one(warehouse):
    later = T0 + timedelta(days=1)
    load_pages(warehouse, [PageResult(page("b" * 64, at=later), [record(upvotes=40, at=later)])], run_id="r1")
    counts = load_pages(warehouse, [PageResult(page(), [record(upvotes=3)])], run_id="r2")
    assert counts.updated_sightings == 0
    assert rows(warehouse, "SELECT upvotes FROM sightings") == [(40,)]


def test_the_same_paper_on_two_days_is_one_paper_with_two_sightings(warehouse):
    other = date(2026, 4, 16)
    batch = [
        PageResult(page(), [record()]),
        PageResult(
            page("c" * 64, day=other),
            [record(day=other, at=T0 + timedelta(days=6), github_repo="https://github.com/x/y")],
        ),
    ]
    counts = load_pages(warehouse, batch, run_id="r1")
    assert (counts.new_papers, counts.new_sightings) == (1, 2)
    assert rows(warehouse, "SELECT first_digest_date, last_digest_date, github_repo FROM papers") == [
        (DAY, other, "https://github.com/x/y")
    ]


def test_a_newer_observation_without_a_field_keeps_the_known_value(warehouse):
    load_pages(warehouse, [PageResult(page(), [record()])], run_id="r1")
    card = replace(record(at=T0 + timedelta(hours=1)), abstract=None, authors=())
    load_pages(warehouse, [PageResult(page("d" * 64, at=T0 + timedelta(hours=1)), [card])], run_id="r2")
    assert rows(warehouse, "SELECT abstract, authors FROM papers") == [("An abstract.", ["A. Author", "B. Author"])]


def test_a_quarantined_page_is_kept_named_and_loads_nothing(warehouse):
    counts = load_pages(
        warehouse,
        [
            PageResult(page(), [record()]),
            PageResult(page("e" * 64, day=date(2026, 4, 13)), error="MalformedPayload: invalid JSON"),
        ],
        run_id="r1",
    )
    assert counts.pages_quarantined == 1 and "date=2026-04-13" in counts.quarantined[0]
    assert rows(warehouse, "SELECT count(*) FROM raw_pages") == [(2,)]
    assert rows(warehouse, "SELECT digest_date, error FROM open_quarantine") == [
        (date(2026, 4, 13), "MalformedPayload: invalid JSON")
    ]
    assert rows(warehouse, "SELECT count(*) FROM sightings") == [(1,)]


def test_a_later_good_load_closes_the_quarantine(warehouse):
    bad_day = date(2026, 4, 13)
    load_pages(warehouse, [PageResult(page("e" * 64, day=bad_day), error="StructureMissing: gone")], run_id="r1")
    load_pages(
        warehouse,
        [
            PageResult(
                page("f" * 64, day=bad_day, at=T0 + timedelta(hours=2)),
                [record(day=bad_day, at=T0 + timedelta(hours=2))],
            )
        ],
        run_id="r2",
    )
    assert rows(warehouse, "SELECT count(*) FROM quarantine") == [(1,)]
    assert rows(warehouse, "SELECT count(*) FROM open_quarantine") == [(0,)]


def test_an_empty_day_is_recorded_and_counts_as_loaded_once_settled(warehouse):
    weekend, early = date(2026, 4, 11), date(2026, 4, 12)
    load_pages(
        warehouse,
        [
            PageResult(page(day=weekend, at=datetime(2026, 4, 20)), []),
            PageResult(page("b" * 64, day=early, at=datetime(2026, 4, 12, 23)), []),
        ],
        run_id="r1",
    )
    assert rows(warehouse, "SELECT digest_date, entries FROM digests ORDER BY 1") == [(weekend, 0), (early, 0)]
    # Fetched the same day, an empty digest may just not be published yet.
    keys = [("hf", "api", "", d) for d in (weekend, early)]
    assert queries.loaded_digests(warehouse, keys) == {("hf", "api", "", weekend)}


def test_a_failing_load_leaves_the_warehouse_as_it_was(warehouse):
    load_pages(warehouse, [PageResult(page(), [record()])], run_id="r1")
    before = queries.content_hash(warehouse)
    broken = replace(record("2604.00009", day=date(2026, 4, 14)), title=None)  # violates NOT NULL
    with pytest.raises(duckdb.ConstraintException):
        load_pages(warehouse, [PageResult(page("9" * 64, day=date(2026, 4, 14)), [broken])], run_id="r2")
    assert queries.content_hash(warehouse) == before


def test_rebuild_replaces_every_extracted_table(warehouse):
    load_pages(warehouse, [PageResult(page(), [record(), record("2604.00002", rank=2)])], run_id="r1")
    counts = rebuild_from_pages(warehouse, [[PageResult(page(), [record()])]], run_id="r2")
    assert counts.new_papers == 1
    assert rows(warehouse, "SELECT arxiv_id FROM papers") == [("2604.00001",)]


def test_read_only_open_of_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(WarehouseMissing, match="papertrend ingest"), connect(tmp_path / "none.duckdb", read_only=True):
        pass


def test_a_second_process_waits_then_reports_the_lock(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    with (
        held_by_another_process(path),
        pytest.raises(WarehouseLocked, match="locked by another papertrend process"),
        connect(path, read_only=True, lock_wait=0.3),
    ):
        pass


@contextmanager
def writing_in_another_process(path: Path) -> Iterator[subprocess.Popen]:
    """A second process holding a papertrend write connection until its stdin is closed."""
    script = (
        "import sys; from warehouse.db import connect\n"
        "with connect(sys.argv[1]):\n    print('writing', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "writing"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
        holder.stdin.close()  # type: ignore[union-attr]


class _ReleaseWhenWaiting(logging.Handler):
    """Lets the holder finish once the writer under test says it is waiting (no clock involved)."""

    def __init__(self, holder: subprocess.Popen) -> None:
        super().__init__()
        self.holder, self.lines = holder, []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if "waiting" in record.getMessage():
            self.holder.stdin.close()  # type: ignore[union-attr]


def test_a_second_writer_waits_its_turn_with_a_log_line(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    logger = logging.getLogger("papertrend.warehouse")
    with writing_in_another_process(path) as holder:
        release = _ReleaseWhenWaiting(holder)
        logger.addHandler(release)
        try:
            with connect(path) as con:
                assert rows(con, "SELECT count(*) FROM runs") == [(0,)]
        finally:
            logger.removeHandler(release)
    assert release.lines == [
        f"warehouse busy: waiting up to 120 s for another writer (pid {holder.pid})",
        "warehouse free: writing",
    ]


def test_a_writer_that_waits_too_long_gets_one_clear_error(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with (
        writing_in_another_process(path) as holder,
        pytest.raises(WarehouseLocked, match=rf"another papertrend process \(pid {holder.pid}\) for over 0 s"),
        connect(path, lock_wait=0.3),
    ):
        pass
    with connect(path):  # the holder was killed: the kernel dropped its lock
        pass


def test_every_observation_of_the_counts_is_kept_for_upvote_gains(warehouse):
    later = T0 + timedelta(days=1)
    load_pages(warehouse, [PageResult(page(), [record(upvotes=3)])], run_id="r1")
    load_pages(warehouse, [PageResult(page("b" * 64, at=later), [record(upvotes=40, at=later)])], run_id="r2")
    load_pages(warehouse, [PageResult(page("b" * 64, at=later), [record(upvotes=40, at=later)])], run_id="r3")
    assert rows(warehouse, "SELECT upvotes FROM observations ORDER BY observed_at") == [(3,), (40,)]
    assert rows(warehouse, "SELECT first_upvotes, last_upvotes, gain, observations FROM upvote_gains") == [
        (3, 40, 37, 2)
    ]


def _statement_file(node: ast.expr) -> str | None:
    # `_sql("name")`: the statement in warehouse/sql/name.sql
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_sql":
        return node.args[0].value if isinstance(node.args[0], ast.Constant) else None
    return None


def test_the_load_runs_only_the_statements_in_warehouse_sql_and_all_of_them():
    tree = ast.parse(Path(load.__file__).read_text())
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("execute", "sql", "executemany")
    ]
    names = [_statement_file(c.args[0]) for c in calls]
    assert None not in names  # no SQL text in load.py itself
    assert set(names) == {p.stem for p in SQL.glob("*.sql")}


def test_reextract_clears_exactly_the_extracted_tables():
    sql = (SQL / "clear_extracted_tables.sql").read_text()
    assert set(re.findall(r"^DELETE FROM (\w+);", sql, re.M)) == set(load.EXTRACTED_TABLES)
