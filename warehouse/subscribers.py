"""Subscribers of the email summaries: who gets what, how often, and the token that stops it.

An address is one mailbox, checked here before it is stored, so nothing read
back from the table can carry a second recipient or a header break.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from extractors.errors import PapertrendError
from extractors.ids import InvalidArxivId, canonical_arxiv_id
from warehouse.db import transaction

CADENCES = ("weekly", "daily")
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
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class SubscriberInvalid(PapertrendError, ValueError):
    """A subscriber's address or settings cannot be used; the message names the entry."""


@dataclass(frozen=True)
class Subscriber:
    """One recipient and what they asked for."""

    address: str
    name: str | None = None
    cadence: str = "weekly"
    keywords: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()  # canonical arXiv ids
    max_papers: int = DEFAULT_MAX_PAPERS
    only_matches: bool = False
    created_at: datetime | None = None
    token: str = field(default="", repr=False)
    active: bool = True

    @property
    def filtered(self) -> bool:
        """Did they ask for anything in particular?"""
        return bool(self.keywords or self.topics or self.seeds)


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
    bad = [f for f in (*sub.keywords, *sub.topics) if not f.strip() or len(f) > MAX_FILTER or _BREAKS.search(f)]
    if bad:
        raise SubscriberInvalid(f"{where}: keywords and topics must be 1-{MAX_FILTER} characters on one line: {bad}")
    try:
        seeds = tuple(dict.fromkeys(canonical_arxiv_id(s) for s in sub.seeds))
    except InvalidArxivId as exc:
        raise SubscriberInvalid(f"{where}: seed {exc}") from None
    name = " ".join(_BREAKS.sub(" ", sub.name).split())[:100] if sub.name else None
    return Subscriber(
        address,
        name or None,
        sub.cadence,
        tuple(dict.fromkeys(k.strip() for k in sub.keywords)),
        tuple(dict.fromkeys(t.strip() for t in sub.topics)),
        seeds,
        sub.max_papers,
        sub.only_matches,
        sub.created_at,
        sub.token,
        sub.active,
    )


def add_subscribers(con: duckdb.DuckDBPyConnection, subs: list[Subscriber]) -> list[Subscriber]:
    """Store `subs` (validated by the caller) in one transaction; an address already there gets the new
    settings and is active again, keeping its token and creation time. Returns them as stored."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con):
        for sub in subs:
            con.execute(
                """INSERT INTO subscribers VALUES ($address, $name, $cadence, $keywords, $topics, $seeds,
                          $max_papers, $only_matches, $now, $token, true)
                   ON CONFLICT (address) DO UPDATE SET name = excluded.name, cadence = excluded.cadence,
                          keywords = excluded.keywords, topics = excluded.topics, seeds = excluded.seeds,
                          max_papers = excluded.max_papers, only_matches = excluded.only_matches, active = true""",
                {
                    "address": sub.address,
                    "name": sub.name,
                    "cadence": sub.cadence,
                    "keywords": list(sub.keywords),
                    "topics": list(sub.topics),
                    "seeds": list(sub.seeds),
                    "max_papers": sub.max_papers,
                    "only_matches": sub.only_matches,
                    "now": now,
                    # Hex: a token never starts with "-", which a command line would read as an option.
                    "token": secrets.token_hex(20),
                },
            )
    stored = {s.address: s for s in subscribers(con, active_only=False)}
    return [stored[s.address] for s in subs]


def subscribers(
    con: duckdb.DuckDBPyConnection,
    *,
    active_only: bool = True,
    cadence: str | None = None,
    address: str | None = None,
    token: str | None = None,
) -> list[Subscriber]:
    """Subscribers by address; only active ones unless asked, of one cadence, address or token if given."""
    rows = con.execute(
        """SELECT address, name, cadence, keywords, topics, seeds, max_papers, only_matches, created_at, token, active
           FROM subscribers WHERE (active OR NOT $active_only) AND ($cadence IS NULL OR cadence = $cadence)
             AND ($address IS NULL OR address = $address) AND ($token IS NULL OR token = $token)
           ORDER BY address""",
        {"active_only": active_only, "cadence": cadence, "address": address, "token": token},
    ).fetchall()
    return [
        Subscriber(a, n, c, tuple(k), tuple(t), tuple(s), m, o, created, token, active)
        for a, n, c, k, t, s, m, o, created, token, active in rows
    ]


def remove_subscriber(con: duckdb.DuckDBPyConnection, who: str, *, purge: bool = False) -> Subscriber | None:
    """Deactivate the subscriber with address or unsubscribe token `who` (delete them and their email log
    when `purge`); returns who it was, or None when nobody matches."""
    found = _find(con, who)
    if found is None:
        return None
    with transaction(con):
        if purge:
            con.execute("DELETE FROM email_log WHERE address = ?", [found.address])
            con.execute("DELETE FROM subscribers WHERE address = ?", [found.address])
        else:
            con.execute("UPDATE subscribers SET active = false WHERE address = ?", [found.address])
    return found


def _find(con: duckdb.DuckDBPyConnection, who: str) -> Subscriber | None:
    who = who.strip()
    if "@" in who:
        try:
            match = subscribers(con, active_only=False, address=valid_address(who))
        except SubscriberInvalid:
            return None
    elif _TOKEN.match(who):
        match = subscribers(con, active_only=False, token=who)
    else:
        return None
    return match[0] if match else None
