"""Atom feeds (RFC 4287): the weekly reports, and the papers a search finds. Built with ElementTree, so every
scraped string is escaped as XML text; every link is ours, made absolute with the base URL."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


@dataclass(frozen=True)
class Entry:
    """One entry: an id of ours (a tag URI), a title, our link, when it changed and a plain-text summary."""

    key: str
    title: str
    link: str
    updated: date | datetime
    summary: str


def atom(*, key: str, title: str, self_link: str, page_link: str, entries: list[Entry]) -> bytes:
    """A feed of `entries` (newest or best first), serialised as UTF-8 XML."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", _tag(key))
    _text(feed, "title", title)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_link, type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=page_link, type="text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "papertrend")
    newest = max((_stamp(e.updated) for e in entries), default=datetime(2000, 1, 1, tzinfo=UTC))
    _text(feed, "updated", newest.isoformat())
    for entry in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(item, "id", _tag(entry.key))
        _text(item, "title", entry.title)
        ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", href=entry.link, type="text/html")
        _text(item, "updated", _stamp(entry.updated).isoformat())
        _text(item, "summary", entry.summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{name}").text = _xml_safe(value)


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot carry most control characters even escaped: a scraped title's stray \x0b must go.
    return "".join(
        c
        for c in text
        if c in "\t\n\r" or (ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF and c not in "\ufffe\uffff")
    )


def _tag(key: str) -> str:
    return f"tag:papertrend,2026:{key}"


def _stamp(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(), tzinfo=UTC)
