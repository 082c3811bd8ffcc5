"""Web subscriptions (in the audience store): double opt-in and the rate limits on confirmation emails.

Nothing is sent to an address until the link of its confirmation email is
followed, and nobody can make us send a stranger more than one confirmation
per window: an address gets at most `per_address` confirmations and a client
at most `per_client` requests in `window`. Whether an address is known is
never visible from outside: a known one gets a confirmation like any other.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from common.errors import PapertrendError
from warehouse.audience import now_text, utc_now, writing
from warehouse.subscribers import (
    TOKEN,
    Subscriber,
    add_subscribers,
    address_key,
    new_token,
    subscribers,
    token_hash,
    update_preferences,
    valid_subscriber,
)

KEPT_FOR = timedelta(days=2)  # attempts are forgotten after this (longer than any window the settings allow)


class TooManyRequests(PapertrendError):
    """A client asked for more confirmation emails than the limit allows; the message says when to retry."""


@dataclass(frozen=True)
class Limits:
    """How many confirmation emails may go out: per address and per client, within `window`."""

    per_address: int = 1
    per_client: int = 10
    window: timedelta = timedelta(hours=1)


def request_signup(con: sqlite3.Connection, sub: Subscriber, client: str, limits: Limits) -> str | None:
    """Record a web subscription of `sub` (validated) asked for by `client` and return the token its
    confirmation link carries; None when the address had its confirmations for the window (the caller
    answers exactly as if one was sent). Raises TooManyRequests when the client is over its limit."""
    now = utc_now()
    since = (now - limits.window).isoformat(timespec="seconds")
    hashed = _address_hash(sub.address)
    with writing(con):
        con.execute("DELETE FROM signup_attempts WHERE at < ?", [(now - KEPT_FOR).isoformat(timespec="seconds")])
        asked = con.execute("SELECT count(*) FROM signup_attempts WHERE client = ? AND at >= ?", [client, since])
        if asked.fetchone()[0] >= limits.per_client:
            raise TooManyRequests(
                f"too many subscription requests from your address; try again in {_minutes(limits.window)}"
            )
        sent = con.execute(
            "SELECT count(*) FROM signup_attempts WHERE address_hash = ? AND sent AND at >= ?", [hashed, since]
        ).fetchone()[0]
        allowed = sent < limits.per_address
        con.execute("INSERT INTO signup_attempts VALUES (?, ?, ?, ?)", [client, hashed, allowed, now_text()])
        if not allowed:
            return None
        token = new_token()
        request = asdict(replace(sub, created_at=None, id=None, active=True, paused=False, origin="web"))
        con.execute(
            "INSERT INTO signups VALUES (?, ?, ?, ?)",
            [token_hash(token), address_key(sub.address), json.dumps(request), now_text()],
        )
    return token


def confirm_signup(con: sqlite3.Connection, token: str, *, max_age: timedelta) -> Subscriber | None:
    """Store the subscription whose confirmation link carried `token` (a resubscribe when the address had
    left: following the link is asking to come back) and forget every pending one of that address; None
    when the token is unknown, used or older than `max_age`."""
    row = _waiting(con, token, max_age)
    if row is None:
        return None
    fields = json.loads(row[1])
    for name in ("keywords", "topics", "seeds", "authors", "exclude_keywords", "exclude_authors"):
        fields[name] = tuple(fields[name])
    sub = valid_subscriber(Subscriber(**fields))
    stored = add_subscribers(con, [sub], resubscribe=True).subscribers[0]
    update_preferences(con, replace(sub, id=stored.id))  # a known address takes every preference asked for
    with writing(con):
        con.execute("DELETE FROM signups WHERE address_key = ?", [row[0]])
    return subscribers(con, ids=[stored.id or 0], active_only=False)[0]


def signup_waiting(con: sqlite3.Connection, token: str, *, max_age: timedelta) -> bool:
    """Whether `token`'s confirmation link still works (known, unused, younger than `max_age`)."""
    return _waiting(con, token, max_age) is not None


def _waiting(con: sqlite3.Connection, token: str, max_age: timedelta) -> tuple[str, str] | None:
    """(address_key, request) of the signup `token` confirms, while its link works."""
    if not TOKEN.match(token):
        return None
    row = con.execute(
        "SELECT address_key, request, created_at FROM signups WHERE token_hash = ?", [token_hash(token)]
    ).fetchone()
    if row is None or datetime.fromisoformat(row[2]) < utc_now() - max_age:
        return None
    return row[0], row[1]


def pending_signups(con: sqlite3.Connection) -> int:
    """How many web subscriptions wait for their confirmation link to be followed."""
    return int(con.execute("SELECT count(*) FROM signups").fetchone()[0])


def _address_hash(address: str) -> str:
    return hashlib.sha256(address_key(address).encode()).hexdigest()


def _minutes(window: timedelta) -> str:
    minutes = round(window.total_seconds() / 60)
    return f"{minutes} minutes" if minutes < 120 else f"{round(minutes / 60)} hours"
