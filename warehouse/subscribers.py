"""Subscribers of the email summaries (in the audience store): who gets what, how often, and consent.

An address is one mailbox, checked here before it is stored, so nothing read
back from the table can carry a second recipient or a header break. One
mailbox is one subscriber whatever the case of its letters (address_key), and
an unsubscribe is kept: only an explicit resubscribe undoes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from common.errors import PapertrendError
from common.ids import InvalidArxivId, canonical_arxiv_id
from common.names import Cadence
from common.text import fold_spaces
from warehouse.audience import erase_freed_bytes, now_text, utc_now, writing

CADENCES = tuple(Cadence)
MAX_ADDRESS = 254  # RFC 5321's path limit less the angle brackets
DEFAULT_MAX_PAPERS = 10
MAX_FILTER = 100  # characters of one keyword or topic filter
# One plain mailbox: dot-atom local part, host name of letters, digits and hyphens. Anything
# else (quotes, comments, display names, lists, route addresses) is refused rather than parsed.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
# An unsubscribe token as links carry it and `unsubscribe` accepts it (new_token() makes 40 hex digits).
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TOKEN_BYTES = 20
_COLUMNS = (
    "id, address, name, cadence, keywords, topics, seeds, max_papers, only_matches, created_at, active, "
    "authors, exclude_keywords, exclude_authors, paused, origin"
)
MAX_FILTERS = 50  # keywords, topics, authors or exclusions of one kind per subscriber
ORIGINS = ("operator", "web")  # who added a subscriber: `subscribers add|import`, or the web form (confirmed)


class SubscriberInvalid(PapertrendError, ValueError):
    """A subscriber's address or settings cannot be used; the message names the entry."""


class ConsentWithdrawn(PapertrendError):
    """The address unsubscribed; only an explicit resubscribe adds it again."""


@dataclass(frozen=True)
class Stored:
    """What storing a list of subscribers did."""

    subscribers: list[Subscriber]  # as stored, in the order given
    added: int = 0
    updated: int = 0
    resubscribed: int = 0
    kept_unsubscribed: list[str] = field(default_factory=list)  # addresses left alone: they unsubscribed


@dataclass(frozen=True)
class Subscriber:
    """One recipient and what they asked for."""

    address: str
    name: str | None = None
    cadence: str = Cadence.WEEKLY
    keywords: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()  # canonical arXiv ids
    max_papers: int = DEFAULT_MAX_PAPERS
    only_matches: bool = False
    created_at: datetime | None = None
    active: bool = True
    id: int | None = None  # the audience store's key: what flows pass around instead of the address
    authors: tuple[str, ...] = ()  # followed: their papers match
    exclude_keywords: tuple[str, ...] = ()  # a paper holding one is never sent
    exclude_authors: tuple[str, ...] = ()
    paused: bool = False  # subscribed, but nothing is sent until they resume
    origin: str = "operator"

    @property
    def filtered(self) -> bool:
        """Did they ask for anything in particular?"""
        return bool(self.keywords or self.topics or self.seeds or self.authors)


def valid_address(text: str) -> str:
    """The address as stored (domain in lower case); raises SubscriberInvalid saying what is wrong."""
    if _BREAKS.search(text):
        raise SubscriberInvalid(f"address {text!r} contains a line break or control character")
    address = text.strip()
    if len(address) > MAX_ADDRESS:
        raise SubscriberInvalid(f"address {address[:40]!r}... is longer than {MAX_ADDRESS} characters")
    if "@" not in address:
        raise SubscriberInvalid(f"address {address!r} has no '@'; give one mailbox like ada@example.org")
    if address.count("@") > 1 or re.search(r"[,;\s<>]", address):
        raise SubscriberInvalid(f"address {address!r} is more than one address or has a display name; give one")
    if not _ADDRESS.match(address) or len(address.split("@")[0]) > 64:
        raise SubscriberInvalid(f"address {address!r} is not a plain mailbox like ada@example.org")
    local, domain = address.split("@")
    return f"{local}@{domain.lower()}"


def valid_subscriber(sub: Subscriber) -> Subscriber:
    """`sub` with a checked address, canonical seed ids and clean filters; raises SubscriberInvalid."""
    address = valid_address(sub.address)
    where = f"subscriber {address}"
    if sub.cadence not in CADENCES:
        raise SubscriberInvalid(f"{where}: cadence must be weekly or daily, not {sub.cadence!r}")
    if not 1 <= sub.max_papers <= 100:
        raise SubscriberInvalid(f"{where}: max_papers must be 1 to 100, not {sub.max_papers}")
    lists = (sub.keywords, sub.topics, sub.authors, sub.exclude_keywords, sub.exclude_authors)
    filters = [f for group in lists for f in group]
    bad = [f for f in filters if not f.strip() or len(f) > MAX_FILTER or _BREAKS.search(f)]
    if bad:
        raise SubscriberInvalid(
            f"{where}: keywords, topics and authors must be 1-{MAX_FILTER} characters on one line: {bad[:3]}"
        )
    if any(len(group) > MAX_FILTERS for group in (*lists, sub.seeds)):
        raise SubscriberInvalid(f"{where}: at most {MAX_FILTERS} keywords, topics, authors or seed papers of each kind")
    if sub.origin not in ORIGINS:
        raise SubscriberInvalid(f"{where}: origin must be one of {ORIGINS}, not {sub.origin!r}")
    try:
        seeds = tuple(dict.fromkeys(canonical_arxiv_id(s) for s in sub.seeds))
    except InvalidArxivId as exc:
        raise SubscriberInvalid(f"{where}: seed {exc}") from None
    name = fold_spaces(_BREAKS.sub(" ", sub.name))[:100] if sub.name else None
    return Subscriber(
        address,
        name or None,
        sub.cadence,
        _clean(sub.keywords),
        _clean(sub.topics),
        seeds,
        sub.max_papers,
        sub.only_matches,
        sub.created_at,
        sub.active,
        sub.id,
        _clean(sub.authors),
        _clean(sub.exclude_keywords),
        _clean(sub.exclude_authors),
        sub.paused,
        sub.origin,
    )


def _clean(filters: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(fold_spaces(f) for f in filters))


def address_key(address: str) -> str:
    """The one key of a mailbox: the address lower-cased (KIM@example.org and kim@example.org are one)."""
    return address.lower()


def new_token() -> str:
    """A fresh random unsubscribe token for one message."""
    # Hex: a token never starts with "-", which a command line would read as an option.
    return secrets.token_hex(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the store keeps of an unsubscribe token: its sha256, so a copy of the store unsubscribes nobody."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_subscribers(
    con: sqlite3.Connection, subs: list[Subscriber], *, resubscribe: bool = False, strict: bool = False
) -> Stored:
    """Store `subs` (validated by the caller) in one transaction.

    A known address (any case) gets the new settings, keeping its creation time. One that unsubscribed
    is left as it is unless `resubscribe` (then it is active again and counted); with `strict`, such an
    address raises ConsentWithdrawn instead and nothing is stored. A sub with active=False unsubscribes.
    """
    now = now_text()
    added = updated = resubscribed = 0
    kept: list[str] = []
    with writing(con):
        for sub in subs:
            row = con.execute(
                "SELECT id, active, unsubscribed_at FROM subscribers WHERE address_key = ?", [address_key(sub.address)]
            ).fetchone()
            if row is None:
                con.execute(
                    """INSERT INTO subscribers (address, address_key, name, cadence, keywords, topics, seeds,
                              max_papers, only_matches, created_at, active, unsubscribed_at, authors,
                              exclude_keywords, exclude_authors, paused, origin)
                       VALUES (:address, :key, :name, :cadence, :keywords, :topics, :seeds, :max_papers,
                              :only_matches, :now, :active, CASE WHEN :active THEN NULL ELSE :now END, :authors,
                              :exclude_keywords, :exclude_authors, :paused, :origin)""",
                    _params(sub) | {"now": now},
                )
                added += 1
                continue
            withdrawn = not row[1]
            if withdrawn and sub.active and not resubscribe:
                if strict:
                    raise ConsentWithdrawn(
                        f"{sub.address} unsubscribed on {(row[2] or '?')[:10]}; add --resubscribe only if they asked "
                        "to come back"
                    )
                kept.append(sub.address)
                continue
            con.execute(
                """UPDATE subscribers SET name = :name, cadence = :cadence, keywords = :keywords, topics = :topics,
                          seeds = :seeds, max_papers = :max_papers, only_matches = :only_matches, active = :active,
                          unsubscribed_at = CASE WHEN :active THEN NULL ELSE coalesce(unsubscribed_at, :now) END
                   WHERE id = :id""",
                _params(sub) | {"now": now, "id": row[0]},
            )
            resubscribed += withdrawn and sub.active
            updated += not (withdrawn and sub.active)
    stored = {address_key(s.address): s for s in subscribers(con, active_only=False)}
    return Stored([stored[address_key(s.address)] for s in subs], added, updated, resubscribed, kept)


def _params(sub: Subscriber) -> dict:
    return {
        "address": sub.address,
        "key": address_key(sub.address),
        "name": sub.name,
        "cadence": sub.cadence,
        "keywords": json.dumps(list(sub.keywords)),
        "topics": json.dumps(list(sub.topics)),
        "seeds": json.dumps(list(sub.seeds)),
        "max_papers": sub.max_papers,
        "only_matches": sub.only_matches,
        "active": sub.active,
        "authors": json.dumps(list(sub.authors)),
        "exclude_keywords": json.dumps(list(sub.exclude_keywords)),
        "exclude_authors": json.dumps(list(sub.exclude_authors)),
        "paused": sub.paused,
        "origin": sub.origin,
    }


def subscribers(
    con: sqlite3.Connection,
    *,
    active_only: bool = True,
    cadence: str | None = None,
    address: str | None = None,
    ids: list[int] | None = None,
) -> list[Subscriber]:
    """Subscribers by address; only active ones unless asked, of one cadence, one address (any case) or ids."""
    rows = con.execute(
        f"""SELECT {_COLUMNS} FROM subscribers
            WHERE (active OR NOT :active_only) AND (:cadence IS NULL OR cadence = :cadence)
              AND (:key IS NULL OR address_key = :key)
            ORDER BY address_key""",
        {"active_only": active_only, "cadence": cadence, "key": address_key(address) if address else None},
    ).fetchall()
    found = [_subscriber(row) for row in rows]
    return found if ids is None else [s for s in found if s.id in set(ids)]


def _subscriber(row: tuple) -> Subscriber:
    id_, address, name, cadence, keywords, topics, seeds, max_papers, only_matches, created, active = row[:11]
    authors, exclude_keywords, exclude_authors, paused, origin = row[11:]
    return Subscriber(
        address,
        name,
        cadence,
        tuple(json.loads(keywords)),
        tuple(json.loads(topics)),
        tuple(json.loads(seeds)),
        max_papers,
        bool(only_matches),
        datetime.fromisoformat(created),
        bool(active),
        id_,
        tuple(json.loads(authors)),
        tuple(json.loads(exclude_keywords)),
        tuple(json.loads(exclude_authors)),
        bool(paused),
        origin,
    )


def remove_subscriber(con: sqlite3.Connection, who: str, *, purge: bool = False) -> Subscriber | None:
    """Deactivate the subscriber with address or unsubscribe token `who`; returns who it was, or None.

    With `purge` the address is erased for good: the subscriber row and their tokens are deleted, their
    email log rows keep only period and status (no recipient, reply or Message-ID), and the store is
    rewritten (VACUUM, WAL truncated) so no byte of the address remains in its files.
    """
    found = find_subscriber(con, who)
    if found is None:
        return None
    if not purge:
        unsubscribe(con, found.id or 0)
        return found
    with writing(con):
        con.execute("DELETE FROM signups WHERE address_key = ?", [address_key(found.address)])
        con.execute("UPDATE email_log SET last_reply = NULL, message_id = NULL WHERE subscriber_id = ?", [found.id])
        # Tokens and sent papers cascade; the log is unlinked.
        con.execute("DELETE FROM subscribers WHERE id = ?", [found.id])
    erase_freed_bytes(con)
    return found


def find_subscriber(con: sqlite3.Connection, who: str) -> Subscriber | None:
    """The subscriber with address (any case) or unsubscribe token `who`, active or not; None if nobody."""
    who = who.strip()
    if "@" in who:
        try:
            match = subscribers(con, active_only=False, address=valid_address(who))
        except SubscriberInvalid:
            return None
        return match[0] if match else None
    return by_token(con, who)


def update_preferences(con: sqlite3.Connection, sub: Subscriber) -> None:
    """Store every preference of `sub` (validated, with its id), from its manage page; its address stays."""
    with writing(con):
        con.execute(
            """UPDATE subscribers SET name = :name, cadence = :cadence, keywords = :keywords, topics = :topics,
                      seeds = :seeds, max_papers = :max_papers, only_matches = :only_matches, authors = :authors,
                      exclude_keywords = :exclude_keywords, exclude_authors = :exclude_authors, paused = :paused
               WHERE id = :id AND active""",
            _params(sub) | {"id": sub.id},
        )


def unsubscribe(con: sqlite3.Connection, subscriber_id: int) -> None:
    """Withdraw the consent of subscriber `subscriber_id` (kept: only an explicit resubscribe undoes it)."""
    with writing(con):
        con.execute(
            "UPDATE subscribers SET active = 0, unsubscribed_at = coalesce(unsubscribed_at, ?) WHERE id = ?",
            [now_text(), subscriber_id],
        )


def by_token(con: sqlite3.Connection, token: str, *, max_age_days: float | None = None) -> Subscriber | None:
    """The subscriber whose message carried `token`, if the token is one of ours (and, with `max_age_days`,
    issued no longer ago than that); None otherwise. Only the token's hash is looked up and compared."""
    if not TOKEN.match(token):
        return None
    wanted = token_hash(token)
    row = con.execute(
        "SELECT token_hash, subscriber_id, created_at FROM tokens WHERE token_hash = ?", [wanted]
    ).fetchone()
    if row is None or not hmac.compare_digest(row[0], wanted):
        return None
    if max_age_days is not None and datetime.fromisoformat(row[2]) < utc_now() - timedelta(days=max_age_days):
        return None
    found = con.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", [row[1]]).fetchone()
    return _subscriber(found) if found else None


def issue_token(con: sqlite3.Connection, subscriber_id: int, purpose: str) -> str:
    """A fresh token for subscriber `subscriber_id` (its hash stored with `purpose` in place of a period)."""
    token = new_token()
    with writing(con):
        con.execute("INSERT INTO tokens VALUES (?, ?, ?, ?)", [token_hash(token), subscriber_id, purpose, now_text()])
    return token
