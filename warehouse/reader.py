"""What people's SQL may run on the warehouse: reading statements only, checked before they run.

The connection is locked down already (warehouse.db.READER_CONFIG); refusing
every other kind of statement up front gives one clear message instead of a
DuckDB error, and closes what the configuration alone leaves open (SET
VARIABLE, PREPARE, temporary tables, CALL).
"""

from __future__ import annotations

import re

import duckdb

from warehouse.errors import WarehouseError

READING_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
# PRAGMAs that only describe the database; every other PRAGMA changes a setting.
READING_PRAGMAS = frozenset(
    {
        "show_tables",
        "show_tables_expanded",
        "table_info",
        "show",
        "database_size",
        "storage_info",
        "version",
        "database_list",
        "functions",
        "collations",
        "platform",
        "metadata_info",
    }
)
_PRAGMA_NAME = re.compile(r"^\s*PRAGMA\s+(\w+)", re.I)


class StatementRefused(WarehouseError):
    """A statement would write, configure, attach or reach outside the warehouse; readers may only read."""


class QueryInvalid(WarehouseError):
    """The query is empty, holds more than one statement, or is not SQL DuckDB can parse."""


def check_reading(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Raise StatementRefused unless every statement of `query` only reads; QueryInvalid if it does not parse."""
    try:
        statements = con.extract_statements(query)
    except duckdb.ParserException as exc:
        raise QueryInvalid(str(exc).splitlines()[0]) from None
    if not statements:
        raise QueryInvalid("the query holds no statement")
    if len(statements) > 1:
        # Only one result can be shown or exported; running the others unseen would mislead.
        raise QueryInvalid(f"the query holds {len(statements)} statements; run one per `papertrend sql` call")
    for statement in statements:
        kind = statement.type
        if kind in READING_STATEMENTS:
            continue
        if kind == duckdb.StatementType.PRAGMA:
            name = _PRAGMA_NAME.match(statement.query)
            if name and name.group(1).lower() in READING_PRAGMAS:
                continue
        word = statement.query.split(None, 1)[0].upper() if statement.query.strip() else str(kind)
        raise StatementRefused(f"{word} is refused: `papertrend sql` is read-only by design")


PERSONAL_TABLES = ("subscribers", "email_log")
DEFAULT_HINT = 'check the query; `papertrend sql "SHOW TABLES"` lists tables'


def hint_for(message: str) -> str:
    """What to do about a failed query: for the personal tables, where they went; else the generic advice."""
    lowered = message.lower()
    if "does not exist" in lowered and any(name in lowered for name in PERSONAL_TABLES):
        return (
            "subscribers and the email log are personal data and live in the audience store, not the warehouse; "
            "query audience_counts for subscribers per cadence and messages per period"
        )
    return DEFAULT_HINT
