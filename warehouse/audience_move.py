"""The upgrade that takes personal data out of a warehouse: its subscribers and email log into the audience store.

Run by warehouse.db.migrate just before migration 012 drops the tables (and
db.rewrite_file then copies the warehouse into a fresh file). Addresses that
differ only in case become one subscriber: an unsubscribe wins, interests are
united. Old plaintext unsubscribe tokens are kept as their hashes only, so old
messages' links keep working. Safe to run twice: rows merge into what is there.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import duckdb

from common.names import EmailStatus
from warehouse.audience import connect_audience, now_text, writing
from warehouse.subscribers import address_key, token_hash

AUDIENCE_VERSION = 12  # the warehouse migration that drops the tables
# When two rows of a period merge, the more final one is kept.
_FINALITY = {EmailStatus.SENT: 3, EmailStatus.FAILED: 2, EmailStatus.SKIPPED: 1, EmailStatus.PENDING: 0}


def has_personal_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """Does this warehouse still hold the subscribers table (a warehouse from before the audience store)?"""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'subscribers'"
    ).fetchall()
    return bool(rows[0][0])


def move_to_audience(con: duckdb.DuckDBPyConnection, audience: Path) -> tuple[int, int]:
    """Copy the warehouse's subscribers and email log into the audience store at `audience` (merging
    case-duplicates) in one transaction; return (subscribers, log rows) written."""
    people = con.execute(
        """SELECT address, name, cadence, keywords, topics, seeds, max_papers, only_matches, created_at, token, active
           FROM subscribers ORDER BY created_at, address"""
    ).fetchall()
    log = con.execute(
        """SELECT period, address, status, attempts, last_reply, message_id, created_at, updated_at
           FROM email_log ORDER BY period, address"""
    ).fetchall()
    if not people and not log:
        return 0, 0
    groups: dict[str, list[tuple]] = defaultdict(list)
    for row in people:
        groups[address_key(row[0])].append(row)
    with connect_audience(audience) as store, writing(store):
        ids = {key: _merge_subscriber(store, key, rows) for key, rows in groups.items()}
        for row in log:
            _merge_log_row(store, ids.get(address_key(row[1])), row)
    return len(groups), len(log)


def _merge_subscriber(store: sqlite3.Connection, key: str, rows: list[tuple]) -> int:
    known = store.execute(
        "SELECT address, name, cadence, keywords, topics, seeds, max_papers, only_matches, created_at, active, id "
        "FROM subscribers WHERE address_key = ?",
        [key],
    ).fetchone()
    first = rows[0]
    address, name, cadence = (known or first)[0], (known or first)[1], (known or first)[2]
    lists = [[*(json.loads(known[i]) if known else []), *(v for r in rows for v in r[i])] for i in (3, 4, 5)]
    keywords, topics, seeds = (json.dumps(list(dict.fromkeys(values))) for values in lists)
    max_papers = max([r[6] for r in rows] + ([known[6]] if known else []))
    # United interests: only-matches holds only if every copy asked for it.
    only_matches = all(r[7] for r in rows) and (known is None or bool(known[7]))
    active = all(r[10] for r in rows) and (known is None or bool(known[9]))  # an unsubscribe wins
    created = min(str(r[8])[:19].replace(" ", "T") for r in rows)
    if known is None:
        name = next((r[1] for r in rows if r[1]), None)
        id_ = store.execute(
            """INSERT INTO subscribers (address, address_key, name, cadence, keywords, topics, seeds, max_papers,
                      only_matches, created_at, active, unsubscribed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               RETURNING id""",
            [
                address,
                key,
                name,
                cadence,
                keywords,
                topics,
                seeds,
                max_papers,
                only_matches,
                created,
                active,
                None if active else now_text(),
            ],
        ).fetchone()[0]
    else:
        id_ = known[10]
        store.execute(
            """UPDATE subscribers SET keywords = ?, topics = ?, seeds = ?, max_papers = ?, only_matches = ?,
                      active = ?, unsubscribed_at = CASE WHEN ? THEN unsubscribed_at ELSE coalesce(unsubscribed_at, ?) END
               WHERE id = ?""",
            [keywords, topics, seeds, max_papers, only_matches, active, active, now_text(), id_],
        )
    for row in rows:  # every old link keeps working; only its hash is kept
        store.execute("INSERT OR IGNORE INTO tokens VALUES (?, ?, NULL, ?)", [token_hash(row[9]), id_, now_text()])
    return int(id_)


def _merge_log_row(store: sqlite3.Connection, subscriber_id: int | None, row: tuple) -> None:
    period, _address, status, attempts, reply, message_id, created, updated = row
    created, updated = (str(t)[:19].replace(" ", "T") for t in (created, updated))
    known = store.execute(
        "SELECT id, status, attempts FROM email_log WHERE period = ? AND subscriber_id IS ?", [period, subscriber_id]
    ).fetchone()
    if subscriber_id is None:  # a log row whose subscriber is gone: only period and status are kept
        reply = message_id = None
    if known is None or subscriber_id is None:
        store.execute(
            """INSERT INTO email_log (period, subscriber_id, status, attempts, last_reply, message_id, created_at,
                      updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [period, subscriber_id, status, attempts, reply, message_id, created, updated],
        )
    elif _FINALITY.get(status, 0) > _FINALITY.get(known[1], 0):
        store.execute(
            """UPDATE email_log SET status = ?, attempts = attempts + ?, last_reply = ?, message_id = ?,
                      updated_at = max(updated_at, ?) WHERE id = ?""",
            [status, attempts, reply, message_id, updated, known[0]],
        )
