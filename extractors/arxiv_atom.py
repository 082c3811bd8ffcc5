"""Extractor for arXiv API (`export.arxiv.org/api/query`) Atom feeds, 2016 and current formats."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime

from common.ids import InvalidArxivId, split_arxiv_id
from common.records import PaperRecord
from common.sources import ARXIV_API, ARXIV_ATOM
from common.text import fold_spaces
from extractors.errors import EntryInvalid, ExtractError, MalformedPayload

SOURCE = ARXIV_API
_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "os": "http://a9.com/-/spec/opensearch/1.1/",
}
_ERROR_IDS = ("http://arxiv.org/api/errors", "https://arxiv.org/api/errors")


class ApiErrorFeed(ExtractError):
    """The API answered with its error feed (e.g. HTTP 400 for a malformed id or query)."""


@dataclass(frozen=True)
class AtomPage:
    """One page of API results: the paging counters and the records on it."""

    total: int
    start: int
    per_page: int
    records: list[PaperRecord]


def parse_atom(body: bytes, *, observed_at: datetime, where: str = ARXIV_ATOM) -> AtomPage:
    """Parse a feed; raises ApiErrorFeed for arXiv's error feed, MalformedPayload for non-Atom bodies.

    Each record's digest date is its first version's submission date (the API
    has no announcement day); ranks continue across pages (start + position).
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise MalformedPayload(f"not XML ({exc}); is the body truncated?", source=where) from exc
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise MalformedPayload(f"root element is {root.tag}, not an Atom feed", source=where)
    entries = root.findall("atom:entry", _NS)
    for entry in entries:
        if (entry.findtext("atom:id", "", _NS) or "").startswith(_ERROR_IDS):
            raise ApiErrorFeed(f"arXiv API error: {_text(entry, 'atom:summary') or 'unspecified'}", source=where)
    start = _counter(root, "os:startIndex", 0, where)
    records = [
        _record(entry, rank=start + n, observed_at=observed_at, where=where) for n, entry in enumerate(entries, start=1)
    ]
    return AtomPage(
        total=_counter(root, "os:totalResults", len(records), where),
        start=start,
        per_page=_counter(root, "os:itemsPerPage", len(records), where),
        records=records,
    )


def parse_atom_records(
    body: bytes, *, digest_date: date | None = None, observed_at: datetime, where: str = ARXIV_ATOM
) -> list[PaperRecord]:
    """The records of one feed page (the common extractor signature; `digest_date` is unused)."""
    return parse_atom(body, observed_at=observed_at, where=where).records


def _record(entry: ET.Element, *, rank: int, observed_at: datetime, where: str) -> PaperRecord:
    raw_id = (entry.findtext("atom:id", "", _NS) or "").strip()
    try:
        arxiv_id, version = split_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise EntryInvalid(f"entry {rank}: {exc}", source=where) from exc
    published = _time(entry, "atom:published")
    title = _text(entry, "atom:title")
    if published is None or not title:
        raise EntryInvalid(f"entry {rank} ({arxiv_id}) lacks a title or a published time", source=where)
    primary = entry.find("arxiv:primary_category", _NS)
    terms = [term for c in entry.findall("atom:category", _NS) if (term := c.get("term"))]
    primary_term = primary.get("term") if primary is not None else None
    first = [primary_term] if primary_term else terms[:1]
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE,
        digest_date=published.date(),
        rank=rank,
        title=title,
        observed_at=observed_at,
        abstract=_text(entry, "atom:summary"),
        authors=tuple(n for n in (_text(a, "atom:name") for a in entry.findall("atom:author", _NS)) if n),
        published_at=published,
        updated_at=_time(entry, "atom:updated"),
        categories=tuple(dict.fromkeys(first + terms)),
        arxiv_comment=_text(entry, "arxiv:comment"),
    )


def _text(node: ET.Element, path: str) -> str | None:
    text = node.findtext(path, None, _NS)
    return fold_spaces(text) or None if text else None


def _time(node: ET.Element, path: str) -> datetime | None:
    text = _text(node, path)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _counter(root: ET.Element, path: str, default: int, where: str) -> int:
    text = _text(root, path)
    if text is None:
        return default
    if not text.isdigit():
        raise MalformedPayload(f"{path} is {text!r}, not a number", source=where)
    return int(text)


def feed_total(body: bytes) -> int | None:
    """The feed's opensearch:totalResults, or None for a body that is not a readable feed."""
    try:
        root = ET.fromstring(body)
        return _counter(root, "os:totalResults", 0, "arxiv-api")
    except (ET.ParseError, ExtractError):
        return None


def error_message(body: bytes) -> str | None:
    """The explanation in arXiv's error feed (sent with HTTP 400), or None if the body is not one."""
    try:
        parse_atom(body, observed_at=datetime.min)
    except ApiErrorFeed as feed:
        return feed.reason
    except ExtractError:
        return None
    return None
