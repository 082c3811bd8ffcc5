"""The email log (in the audience store): one row per (period, recipient), so each summary goes out once.

A message is marked `pending` (attempts + 1) before it is handed to the SMTP
server and `sent` after the server's 250. A crash between the two leaves it
pending, and the next run sends it again with the same Message-ID: at most
one duplicate per crash, which mail clients that thread by Message-ID fold.
The claim also stores the hash of the message's unsubscribe token, so its
links work for as long as the subscriber exists.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.names import EmailStatus
from warehouse.audience import now_text, utc_now, writing

STATUSES = tuple(EmailStatus)
MAX_REPLY = 500  # characters of the server's reply kept
RECIPIENT = "<recipient>"  # what a reply's copy of the address becomes


@dataclass(frozen=True)
class LogEntry:
    """Where one recipient's message of a period stands."""

    period: str
    address: str | None  # None once the subscriber was purged
    status: str
    attempts: int
    last_reply: str | None
    message_id: str | None
    updated_at: datetime
    subscriber_id: int | None = None


@dataclass(frozen=True)
class Claim:
    """A message about to be handed over: whose, its Message-ID and the sha256 of its unsubscribe token."""

    subscriber_id: int
    message_id: str
    token_hash: str | None = None


def log_entries(con: sqlite3.Connection, period: str) -> dict[str, LogEntry]:
    """The log of `period` by address (rows of purged subscribers are left out)."""
    return {e.address: e for e in _entries(con, period) if e.address is not None}


def entries_by_subscriber(con: sqlite3.Connection, period: str) -> dict[int, LogEntry]:
    """The log of `period` by subscriber id."""
    return {e.subscriber_id: e for e in _entries(con, period) if e.subscriber_id is not None}


def _entries(con: sqlite3.Connection, period: str) -> list[LogEntry]:
    rows = con.execute(
        """SELECT l.period, s.address, l.status, l.attempts, l.last_reply, l.message_id, l.updated_at, l.subscriber_id
           FROM email_log l LEFT JOIN subscribers s ON s.id = l.subscriber_id
           WHERE l.period = ? ORDER BY s.address_key""",
        [period],
    ).fetchall()
    return [LogEntry(p, a, st, n, r, m, datetime.fromisoformat(u), i) for p, a, st, n, r, m, u, i in rows]


def claim(con: sqlite3.Connection, period: str, messages: list[Claim], resend: bool = False) -> set[int]:
    """Mark the messages of `period` pending, one attempt more each, keep their token hashes, and return the
    subscriber ids this call claimed: not those another run sent, refused or skipped meanwhile (unless
    `resend`). One short transaction."""
    if not messages:
        return set()
    now = now_text()
    claimed = set()
    with writing(con):
        for message in messages:
            row = con.execute(
                """INSERT INTO email_log (period, subscriber_id, status, attempts, last_reply, message_id,
                                          created_at, updated_at)
                   VALUES (:period, :id, 'pending', 1, NULL, :mid, :now, :now)
                   ON CONFLICT (period, subscriber_id) DO UPDATE SET status = 'pending',
                          attempts = email_log.attempts + 1, message_id = excluded.message_id,
                          updated_at = excluded.updated_at
                   WHERE email_log.status = 'pending' OR :resend
                   RETURNING subscriber_id""",
                {
                    "period": period,
                    "id": message.subscriber_id,
                    "mid": message.message_id,
                    "now": now,
                    "resend": resend,
                },
            ).fetchone()
            if row is None:
                continue
            claimed.add(row[0])
            if message.token_hash:
                con.execute(
                    "INSERT OR IGNORE INTO tokens VALUES (?, ?, ?, ?)",
                    [message.token_hash, message.subscriber_id, period, now],
                )
    return claimed


def mark_done(
    con: sqlite3.Connection,
    period: str,
    subscriber_id: int,
    status: str,
    reply: str | None,
    message_id: str,
    *,
    address: str | None = None,
    papers: tuple[str, ...] = (),
) -> None:
    """Record how a recipient's message ended: sent, failed or skipped, with the server's last reply
    (any copy of `address` in it blanked out, so the log's text never repeats the recipient); a sent
    message's `papers` (arXiv ids) are remembered in the same transaction, so none is sent to them again."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    params = {
        "period": period,
        "id": subscriber_id,
        "status": status,
        "reply": scrubbed(reply, address)[:MAX_REPLY] if reply else None,
        "mid": message_id,
        "now": now_text(),
        "attempts": 0 if status == EmailStatus.SKIPPED else 1,
    }
    with writing(con):
        con.execute(
            """INSERT INTO email_log (period, subscriber_id, status, attempts, last_reply, message_id,
                                      created_at, updated_at)
               VALUES (:period, :id, :status, :attempts, :reply, :mid, :now, :now)
               ON CONFLICT (period, subscriber_id) DO UPDATE SET status = excluded.status,
                      last_reply = excluded.last_reply, message_id = excluded.message_id,
                      updated_at = excluded.updated_at""",
            params,
        )
        if status == EmailStatus.SENT and papers:
            con.executemany(
                "INSERT OR IGNORE INTO sent_papers VALUES (?, ?, ?)", [(subscriber_id, p, period) for p in papers]
            )


def papers_sent(con: sqlite3.Connection, subscriber_ids: list[int], *, before: str) -> dict[int, set[str]]:
    """The papers each of `subscriber_ids` was sent in a period other than `before` (a resend of the same
    period sends the same papers again), by subscriber id."""
    sent: dict[int, set[str]] = {i: set() for i in subscriber_ids}
    for start in range(0, len(subscriber_ids), 500):
        chunk = subscriber_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = con.execute(
            f"SELECT subscriber_id, arxiv_id FROM sent_papers WHERE subscriber_id IN ({marks}) AND period != ?",
            [*chunk, before],
        )
        for subscriber_id, arxiv_id in rows:
            sent[subscriber_id].add(arxiv_id)
    return sent


def scrubbed(text: str, address: str | None) -> str:
    """`text` with every copy of `address` (any case) replaced by RECIPIENT."""
    return re.sub(re.escape(address), RECIPIENT, text, flags=re.IGNORECASE) if address else text


def prune(con: sqlite3.Connection, days: int) -> int:
    """Delete log rows last changed more than `days` ago, except pending ones (still owed); return how many."""
    cutoff = (utc_now() - timedelta(days=days)).isoformat(timespec="seconds")
    with writing(con):
        cursor = con.execute("DELETE FROM email_log WHERE updated_at < ? AND status != 'pending'", [cutoff])
    return cursor.rowcount


def counts(con: sqlite3.Connection) -> list[tuple[str, str | None, str | None, str, int]]:
    """What analysts may know, as (kind, cadence, period, status, count): subscribers per cadence and status,
    messages per period and status. No address, name, interest or token."""
    subscribers = con.execute(
        """SELECT 'subscribers', cadence, NULL, CASE WHEN active THEN 'active' ELSE 'unsubscribed' END, count(*)
           FROM subscribers GROUP BY 2, 4"""
    ).fetchall()
    messages = con.execute(
        """SELECT 'messages', CASE WHEN period LIKE '%-W%' THEN 'weekly' ELSE 'daily' END, period, status, count(*)
           FROM email_log GROUP BY 2, 3, 4"""
    ).fetchall()
    return sorted(subscribers + messages, key=lambda row: tuple(str(v) for v in row))
