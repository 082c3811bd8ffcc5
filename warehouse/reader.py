"""What people's SQL may run on the warehouse, and how it runs: one reading statement, stoppable, in a worker.

The connection is locked down already (warehouse.db.READER_CONFIG); refusing
every other kind of statement up front gives one clear message instead of a
DuckDB error, and closes what the configuration alone leaves open (SET
VARIABLE, PREPARE, temporary tables, CALL).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

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
POLL_SECONDS = 0.05  # how often the waiting thread looks at the clock and at `stopped`


class QueryFailed(WarehouseError):
    """DuckDB could not run the query: an unknown table or column, a type error, a failing function."""


class PersonalTableAsked(QueryFailed):
    """The query names a personal table (subscribers, email_log), which lives in the audience store."""


class QueryTimedOut(WarehouseError):
    """The query ran past its --timeout and was stopped; nothing of its result was kept."""


class QueryStopped(WarehouseError):
    """The query was stopped on request (a signal) before it finished; nothing of its result was kept."""


def run_reading(
    con: duckdb.DuckDBPyConnection,
    query: str,
    write: Callable[[duckdb.DuckDBPyRelation], None],
    *,
    timeout: float,
    stopped: Callable[[], bool],
) -> None:
    """Check that `query` only reads, run it on its own cursor and hand its result to `write` (a statement without
    a result writes nothing), both in a worker thread; interrupt it after `timeout` seconds or once `stopped()`.

    DuckDB holds the thread that runs a query inside C code, where neither a
    timer nor a signal gets through; waiting on a worker keeps the caller's
    thread free to notice them and interrupt the query, so `write` (an export)
    is never left half-done. Raises QueryInvalid, StatementRefused, QueryStopped,
    QueryTimedOut, QueryFailed, or what `write` raised.
    """
    check_reading(con, query)
    failure: list[BaseException] = []
    cursor = con.cursor()  # the worker's own handle: interrupting it stops exactly this query

    def work() -> None:
        try:
            relation = cursor.sql(query)
            if relation is not None:
                write(relation)
        except BaseException as exc:  # handed to the waiting thread below
            failure.append(exc.with_traceback(None))
        finally:
            cursor.close()

    worker = threading.Thread(target=work, name="papertrend-sql", daemon=True)
    deadline = time.monotonic() + timeout
    worker.start()
    while worker.is_alive() and time.monotonic() < deadline and not stopped():
        worker.join(POLL_SECONDS)
    timed_out = worker.is_alive() and not stopped()
    if worker.is_alive():
        cursor.interrupt()
        worker.join()
    if stopped():
        raise QueryStopped("the query was stopped before it finished")
    if timed_out or (failure and isinstance(failure[0], duckdb.InterruptException)):
        raise QueryTimedOut(f"the query ran longer than {timeout:g} s and was stopped")
    if failure and isinstance(failure[0], duckdb.Error):
        raise _failed(failure[0]) from None
    if failure:
        raise failure[0]


def _failed(error: duckdb.Error) -> QueryFailed:
    message = str(error)
    lowered = message.lower()
    if "does not exist" in lowered and any(name in lowered for name in PERSONAL_TABLES):
        return PersonalTableAsked(message.splitlines()[0])
    return QueryFailed(message.splitlines()[0])
