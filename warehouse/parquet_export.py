"""What `papertrend export` reads: every analyst table and view of the snapshot, batch by batch, with a
fingerprint (rows and an order-free content hash) that the same query over the Parquet files must match."""

from __future__ import annotations

import duckdb
import pyarrow as pa

BATCH_ROWS = 100_000
NOT_EXPORTED = {"schema_version"}  # the migrations' bookkeeping, not data
# Tables written one file per digest month (a month is what analysts filter on, and no file grows forever).
BY_MONTH = {"sightings": "digest_date", "observations": "digest_date"}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, 'table' | 'view') of every relation analysts read, by name."""
    rows = con.execute(
        """SELECT table_name, CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END FROM information_schema.tables
           WHERE table_schema = 'main' ORDER BY table_name"""
    ).fetchall()
    return [(name, kind) for name, kind in rows if name not in NOT_EXPORTED]


def months(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """The digest months ('2026-04') of a table written by month, oldest first."""
    column = _quoted(BY_MONTH[name])
    return [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT strftime({column}, '%Y-%m') FROM {_quoted(name)} ORDER BY 1"
        ).fetchall()
    ]


def batches(con: duckdb.DuckDBPyConnection, name: str, month: str | None = None) -> pa.RecordBatchReader:
    """The rows of `name` (only those of digest month `month` if given) as Arrow batches."""
    where = f" WHERE strftime({_quoted(BY_MONTH[name])}, '%Y-%m') = $month" if month else ""
    relation = con.sql(f"SELECT * FROM {_quoted(name)}{where}", params={"month": month} if month else None)
    return relation.fetch_record_batch(BATCH_ROWS)


def fingerprint(con: duckdb.DuckDBPyConnection, source: str) -> tuple[int, str]:
    """(rows, content hash) of the rows `source` (a relation name, or a read_parquet(...) call) holds: the hash
    of every row summed, so the order rows come in does not matter."""
    rows, total = con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {source} AS t").fetchone()  # type: ignore[misc]
    return int(rows), str(total or 0)


def relation_fingerprint(con: duckdb.DuckDBPyConnection, name: str) -> tuple[int, str]:
    """fingerprint() of one of our relations."""
    return fingerprint(con, _quoted(name))
