"""The email log: one row per (period, recipient), so each summary goes out once.

A message is marked `pending` (attempts + 1) before it is handed to the SMTP
server and `sent` after the server's 250. A crash between the two leaves it
pending, and the next run sends it again with the same Message-ID: at most
one duplicate per crash, which mail clients that thread by Message-ID fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from warehouse.db import registered, transaction

STATUSES = ("pending", "sent", "failed", "skipped")
MAX_REPLY = 500  # characters of the server's reply kept


@dataclass(frozen=True)
class LogEntry:
    """Where one recipient's message of a period stands."""

    period: str
    address: str
    status: str
    attempts: int
    last_reply: str | None
    message_id: str
    updated_at: datetime


def log_entries(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, LogEntry]:
    """The log of `period` by address."""
    rows = con.execute(
        """SELECT period, address, status, attempts, last_reply, message_id, updated_at
           FROM email_log WHERE period = ? ORDER BY address""",
        [period],
    ).fetchall()
    return {row[1]: LogEntry(*row) for row in rows}


def claim(
    con: duckdb.DuckDBPyConnection, period: str, messages: list[tuple[str, str]], resend: bool = False
) -> set[str]:
    """Mark the messages (address, Message-ID) of `period` pending, one attempt more each, and return the
    addresses this call claimed: not those another run sent, refused or skipped meanwhile (unless `resend`)."""
    if not messages:
        return set()
    now = _now()
    frame = pl.DataFrame(
        {"address": [a for a, _ in messages], "message_id": [m for _, m in messages]},
        schema={"address": pl.String, "message_id": pl.String},
    )
    with transaction(con), registered(con, due=frame):
        rows = con.execute(
            """INSERT INTO email_log SELECT $period, address, 'pending', 1, NULL, message_id, $now, $now FROM due
               ON CONFLICT DO UPDATE SET status = 'pending', attempts = email_log.attempts + 1,
                                         message_id = excluded.message_id, updated_at = excluded.updated_at
               WHERE email_log.status = 'pending' OR $resend
               RETURNING address""",
            {"period": period, "now": now, "resend": resend},
        ).fetchall()
    return {address for (address,) in rows}


def mark_done(
    con: duckdb.DuckDBPyConnection, period: str, address: str, status: str, reply: str | None, message_id: str
) -> None:
    """Record how a recipient's message ended: sent, failed or skipped, with the server's last reply."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    now = _now()
    params = {
        "period": period,
        "address": address,
        "status": status,
        "reply": reply[:MAX_REPLY] if reply else None,
        "message_id": message_id,
        "now": now,
    }
    # An UPDATE of the pending row costs half an upsert (1 ms against 2): this runs once per message.
    updated = con.execute(
        """UPDATE email_log SET status = $status, last_reply = $reply, message_id = $message_id, updated_at = $now
           WHERE period = $period AND address = $address""",
        params,
    ).fetchall()[0][0]
    if not updated:
        con.execute(
            """INSERT INTO email_log VALUES ($period, $address, $status, $attempts, $reply, $message_id, $now, $now)""",
            params | {"attempts": 0 if status == "skipped" else 1},
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
