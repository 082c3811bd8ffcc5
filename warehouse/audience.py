"""The only module that opens the audience store: subscribers, their tokens' hashes and the email log.

Personal data lives here, in a SQLite file of its own beside the warehouse,
never in the warehouse (which analysts query and snapshots copy). WAL mode
and a busy timeout let the CLI (and a web application) write at any time: a
write is one short transaction, never waiting on a flow's DuckDB load.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from common.errors import PapertrendError

AUDIENCE_FILE = "audience.sqlite3"
BUSY_TIMEOUT_MS = 10_000  # another writer holds the store only for one short transaction
SENDING_WAIT_SECONDS = 600.0  # another sender holds its turn for one batch (seconds, minutes on a slow relay)
# Forward-only, like the warehouse's: the store's PRAGMA user_version counts the ones applied.
# Statements are split at ';', so no comment may hold one.
SCHEMA = (
    """
    CREATE TABLE subscribers (
        id            INTEGER PRIMARY KEY,
        address       TEXT    NOT NULL,          -- as first given (one plain mailbox, checked)
        address_key   TEXT    NOT NULL UNIQUE,   -- lower-cased: one subscriber whatever the case
        name          TEXT,
        cadence       TEXT    NOT NULL,          -- weekly | daily
        keywords      TEXT    NOT NULL,          -- JSON lists
        topics        TEXT    NOT NULL,
        seeds         TEXT    NOT NULL,
        max_papers    INTEGER NOT NULL,
        only_matches  INTEGER NOT NULL,
        created_at    TEXT    NOT NULL,
        active        INTEGER NOT NULL,
        unsubscribed_at TEXT                     -- set by an unsubscribe: an import never undoes it
    );
    CREATE TABLE tokens (                        -- every message's unsubscribe token, as sha256 hex only
        token_hash    TEXT    PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        period        TEXT,                      -- NULL: a subscriber's token from before the audience store
        created_at    TEXT    NOT NULL
    );
    CREATE INDEX tokens_of_subscriber ON tokens (subscriber_id);
    CREATE TABLE email_log (
        id            INTEGER PRIMARY KEY,
        period        TEXT    NOT NULL,          -- '2026-W17' (weekly) or '2026-04-24' (daily)
        subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,  -- NULL once purged
        status        TEXT    NOT NULL,          -- pending | sent | failed | skipped
        attempts      INTEGER NOT NULL,
        last_reply    TEXT,                      -- the SMTP server's last answer, the recipient blanked out
        message_id    TEXT,                      -- stable per (period, recipient), NULL once purged
        created_at    TEXT    NOT NULL,
        updated_at    TEXT    NOT NULL,
        UNIQUE (period, subscriber_id)
    );
    CREATE INDEX email_log_by_update ON email_log (updated_at);
    """,
    # The web application (docs/web.md): follows and exclusions, pause, who added a subscriber, double
    # opt-in, rate limits on confirmation emails, and the papers each reader was sent (never twice).
    """
    ALTER TABLE subscribers ADD COLUMN authors TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE subscribers ADD COLUMN exclude_keywords TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE subscribers ADD COLUMN exclude_authors TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE subscribers ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE subscribers ADD COLUMN origin TEXT NOT NULL DEFAULT 'operator';
    CREATE TABLE signups (                       -- web subscriptions until their confirmation link is followed
        token_hash    TEXT    PRIMARY KEY,       -- sha256 hex of the link's token
        address_key   TEXT    NOT NULL,
        request       TEXT    NOT NULL,          -- JSON: the subscriber as asked for
        created_at    TEXT    NOT NULL
    );
    CREATE INDEX signups_by_address ON signups (address_key);
    CREATE TABLE signup_attempts (               -- who asked for a confirmation email, for the rate limits
        client        TEXT    NOT NULL,          -- the client's IP address
        address_hash  TEXT    NOT NULL,          -- sha256 hex of the lower-cased address: no address kept here
        sent          INTEGER NOT NULL,          -- 1: a confirmation email went out for it
        at            TEXT    NOT NULL
    );
    CREATE INDEX signup_attempts_by_time ON signup_attempts (at);
    CREATE TABLE sent_papers (                   -- every paper each reader was sent: never a second time
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        arxiv_id      TEXT    NOT NULL,
        period        TEXT    NOT NULL,          -- the first period that sent it
        PRIMARY KEY (subscriber_id, arxiv_id)
    ) WITHOUT ROWID;
    """,
)


class AudienceError(PapertrendError):
    """The audience store cannot be opened or used as asked."""


def audience_path(warehouse_path: Path | str) -> Path:
    """Where the audience store of the warehouse at `warehouse_path` lives: beside it, in its own file."""
    return Path(warehouse_path).with_name(AUDIENCE_FILE)


@contextmanager
def connect_audience(path: Path | str, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """Open the audience store at `path` (created and migrated if needed, unless `read_only`) and close it.

    Autocommit: every write goes through `writing()`, one short transaction.
    Raises AudienceError when the file is not a SQLite database or cannot be opened.
    """
    path = Path(path)
    try:
        if read_only:
            target, uri = f"{path.resolve().as_uri()}?mode=ro", True
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            target, uri = str(path), False
        con = sqlite3.connect(
            target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False, uri=uri
        )
    except (OSError, sqlite3.Error) as exc:
        raise AudienceError(f"cannot open the audience store {path}: {exc}") from None
    try:
        try:
            if read_only:
                con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            else:
                _prepare(con)
        except sqlite3.DatabaseError as exc:
            raise AudienceError(f"the audience store {path} cannot be used: {exc}") from None
        yield con
    finally:
        con.close()


def _prepare(con: sqlite3.Connection) -> None:
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA foreign_keys = ON")
    # A deleted row's bytes are overwritten with zeros, not left in a free page (purge, unsubscribe).
    con.execute("PRAGMA secure_delete = ON")
    version = con.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(SCHEMA[version:], start=version + 1):
        with writing(con):
            for statement in script.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute(f"PRAGMA user_version = {number}")


@contextmanager
def writing(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE: no deadlock upgrading a read); all or nothing."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def sending_turn(path: Path | str, *, wait: float = SENDING_WAIT_SECONDS) -> Iterator[None]:
    """Be the only process claiming and handing over messages of the store at `path` for the block.

    A pending row is claimable again (that is how a crashed run's message goes out), so two senders
    must not both hold a batch: an flock on a file beside the store, which the kernel drops when the
    process dies. Subscriber commands never take it. Raises AudienceError after `wait` seconds.
    """
    fd = os.open(Path(str(path) + ".sending"), os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AudienceError(
                        f"another papertrend process has been sending from {path} for over {wait:.0f} s; "
                        "retry when it finishes"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def erase_freed_bytes(con: sqlite3.Connection) -> None:
    """Rewrite the store so nothing deleted survives in it or its WAL: VACUUM, then a truncating checkpoint."""
    con.execute("VACUUM")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def utc_now() -> datetime:
    """The current UTC time, naive, as the store's times read back (datetime.fromisoformat)."""
    return datetime.now(UTC).replace(tzinfo=None)


def now_text() -> str:
    """The current UTC time as the store keeps times (ISO 8601, seconds)."""
    return utc_now().isoformat(timespec="seconds")
