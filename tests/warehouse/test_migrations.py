from datetime import date

import duckdb

from warehouse.db import connect
from warehouse.schema import migrations


def test_an_old_warehouse_is_migrated_forward_keeping_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    first = dict(migrations())[1]
    con = duckdb.connect(str(path))  # a v1 warehouse, as the first release left it
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    con.execute(first)
    con.execute("INSERT INTO schema_version VALUES (1, now()::TIMESTAMP)")
    con.execute("""INSERT INTO digests VALUES ('hf', DATE '2026-04-10', 'api', 'http://hf/x', 'abc', 3,
                                               TIMESTAMP '2026-04-10 08:00:00')""")
    con.execute("""INSERT INTO runs (run_id, flow, params, status, started_at)
                   VALUES ('r1', 'backfill', '{}', 'completed', TIMESTAMP '2026-04-10 08:00:00')""")
    con.close()
    with connect(path) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(migrations()[-1][0],)]
        assert con.execute("SELECT source, listing, digest_date, entries FROM digests").fetchall() == [
            ("hf", "", date(2026, 4, 10), 3)
        ]
        assert con.execute("SELECT pages_fallback, days_unfetched FROM runs").fetchall() == [(0, 0)]
        assert con.execute("SELECT count(*) FROM open_quarantine").fetchall() == [(0,)]


def test_migrations_are_numbered_without_gaps():
    assert [version for version, _ in migrations()] == list(range(1, len(migrations()) + 1))
