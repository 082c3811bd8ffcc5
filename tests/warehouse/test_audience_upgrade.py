"""A warehouse from before the audience store (d565448's schema, migrations 1-11) is upgraded without leaving
a byte of personal data behind; its subscribers move to the audience store, merged by case."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from papertrend.cli import app
from warehouse.audience import connect_audience
from warehouse.db import connect
from warehouse.paths import snapshot_path
from warehouse.schema import migrations
from warehouse.subscribers import find_subscriber, subscribers

PLANTED = "planted.person@example.org"
OLD_TOKENS = ("a1" * 20, "b2" * 20, "c3" * 20, "d4" * 20)
# address, name, cadence, keywords, topics, seeds, max_papers, only_matches, created_at, token, active
OLD_SUBSCRIBERS = [
    (PLANTED, "Planted Person", "weekly", ["agents"], [], [], 10, False, "2026-01-01", OLD_TOKENS[0], True),
    ("KIM@example.org", "Kim", "daily", ["diffusion"], ["vision"], [], 5, True, "2026-01-02", OLD_TOKENS[1], True),
    ("kim@example.org", None, "weekly", ["agents"], [], ["2501.00001"], 20, False, "2026-01-03", OLD_TOKENS[2], False),
    ("Lee@example.org", "Lee", "weekly", ["rl"], [], [], 10, False, "2026-01-04", OLD_TOKENS[3], True),
]


def old_warehouse(path: Path) -> Path:
    """A warehouse as d565448 left it: migrations 1-11, subscribers and an email log, a purged row's bytes."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    for version, sql in migrations():
        if version <= 11:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version])
    con.executemany("INSERT INTO subscribers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", OLD_SUBSCRIBERS)
    con.execute(
        "INSERT INTO subscribers VALUES ('gone@example.org', NULL, 'weekly', [], [], [], 10, false, "
        "'2026-01-05', 'e5e5e5e5e5e5e5e5e5e5', true)"
    )
    con.execute("CHECKPOINT")
    con.execute("DELETE FROM subscribers WHERE address = 'gone@example.org'")  # an old purge: bytes stay in a block
    log = [
        ("2026-W01", PLANTED, "sent", 1, f"250 2.0.0 Ok: queued for {PLANTED}", "<m1@x>"),
        ("2026-W01", "KIM@example.org", "pending", 1, None, "<m2@x>"),
        ("2026-W01", "kim@example.org", "sent", 1, "250 ok", "<m3@x>"),
    ]
    for row in log:
        con.execute("INSERT INTO email_log VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)", list(row))
    con.execute("CHECKPOINT")
    con.close()
    shutil.copyfile(path, snapshot_path(path))  # its published snapshot, as every run left one
    return path


def occurrences(path: Path, text: str) -> int:
    return path.read_bytes().count(text.encode())


def test_an_upgraded_warehouse_and_its_snapshot_hold_no_byte_of_an_address_or_token(tmp_path):
    path = old_warehouse(tmp_path / "warehouse.duckdb")
    assert occurrences(path, PLANTED) > 0 and occurrences(snapshot_path(path), PLANTED) > 0
    assert occurrences(path, "gone@example.org") > 0  # a deleted row's bytes, still in the old file
    with connect(path) as con:
        tables = {name for (name,) in con.execute("SHOW TABLES").fetchall()}
    assert "subscribers" not in tables and "email_log" not in tables and "audience_counts" in tables
    for file in (path, snapshot_path(path)):
        for secret in (PLANTED, "kim@example.org", "KIM@example.org", "gone@example.org", *OLD_TOKENS):
            assert occurrences(file, secret) == 0, (file.name, secret)
    assert not list(tmp_path.glob("*.rewrite"))


def test_the_rewritten_warehouse_has_the_schema_of_a_new_one(tmp_path):
    def shape(file: Path) -> list:
        con = duckdb.connect(str(file), read_only=True)
        try:
            return [
                sorted(con.execute(q).fetchall())
                for q in (
                    "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints()",
                    "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal",
                    "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() WHERE NOT internal",
                    "SELECT index_name FROM duckdb_indexes()",
                )
            ]
        finally:
            con.close()

    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    upgraded = old_warehouse(tmp_path / "old" / "warehouse.duckdb")
    with connect(upgraded), connect(tmp_path / "new" / "warehouse.duckdb"):
        pass
    assert shape(upgraded) == shape(tmp_path / "new" / "warehouse.duckdb")


def test_the_upgrade_moves_subscribers_to_the_audience_store_merging_case_duplicates(tmp_path):
    path = old_warehouse(tmp_path / "warehouse.duckdb")
    with connect(path):
        pass
    with connect_audience(tmp_path / "audience.sqlite3") as store:
        everyone = {s.address: s for s in subscribers(store, active_only=False)}
        assert sorted(everyone) == ["KIM@example.org", "Lee@example.org", PLANTED]
        kim = everyone["KIM@example.org"]
        assert not kim.active  # one of the two unsubscribed: the unsubscribe wins
        assert kim.keywords == ("diffusion", "agents") and kim.topics == ("vision",) and kim.seeds == ("2501.00001",)
        assert kim.max_papers == 20 and kim.only_matches is False and kim.cadence == "daily"
        # Every old link still works, through its hash; the tokens themselves are nowhere.
        assert [find_subscriber(store, t).address for t in OLD_TOKENS] == [
            PLANTED,
            "KIM@example.org",
            "KIM@example.org",
            "Lee@example.org",
        ]
        rows = store.execute("SELECT period, subscriber_id, status FROM email_log ORDER BY subscriber_id").fetchall()
    assert rows == [("2026-W01", everyone[PLANTED].id, "sent"), ("2026-W01", kim.id, "sent")]
    assert all(occurrences(f, t) == 0 for f in tmp_path.glob("audience.sqlite3*") for t in OLD_TOKENS)


def test_sql_on_the_upgraded_warehouse_finds_no_subscribers_and_points_at_the_counts(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    old_warehouse(data / "warehouse.duckdb")
    runner = CliRunner()
    stale = runner.invoke(app, ["sql", "SELECT * FROM subscribers", "--data-dir", str(data)])
    assert stale.exit_code == 1 and "predates the audience store" in stale.stderr  # the old snapshot is refused
    assert runner.invoke(app, ["index-terms", "--data-dir", str(data)]).exit_code == 0  # any flow upgrades
    for query in ("SELECT * FROM subscribers", "SELECT * FROM email_log"):
        result = runner.invoke(app, ["sql", query, "--data-dir", str(data)])
        assert result.exit_code == 1 and "does not exist" in result.stderr and "audience_counts" in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    counts = runner.invoke(
        app,
        [
            "sql",
            "SELECT kind, cadence, status, count FROM audience_counts ORDER BY ALL",
            "-f",
            "csv",
            "--data-dir",
            str(data),
        ],
    )
    assert counts.exit_code == 0, counts.output
    assert counts.stdout.splitlines() == [
        "kind,cadence,status,count",
        "messages,weekly,sent,2",
        "subscribers,daily,unsubscribed,1",
        "subscribers,weekly,active,2",
    ]
    assert PLANTED not in counts.stdout


def test_a_rewrite_that_failed_is_done_on_the_next_open(tmp_path):
    path = old_warehouse(tmp_path / "warehouse.duckdb")
    obstacle = tmp_path / "warehouse.duckdb.rewrite"
    obstacle.mkdir()  # the fresh copy cannot be made: the upgrade stops after moving the rows out
    with pytest.raises(OSError), connect(path):
        pass
    assert occurrences(path, PLANTED) > 0
    obstacle.rmdir()
    with connect(path) as con:
        assert "rewrite_pending" not in {n for (n,) in con.execute("SHOW TABLES").fetchall()}
    assert occurrences(path, PLANTED) == 0 and occurrences(snapshot_path(path), PLANTED) == 0
    with connect_audience(tmp_path / "audience.sqlite3") as store:  # moved once, not twice
        assert len(subscribers(store, active_only=False)) == 3
