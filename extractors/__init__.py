"""Pure extractors: bytes in, records out. No network, disk or SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from common.records import PaperRecord
from common.sources import ARXIV_ATOM, ARXIV_LISTING, HF_API, HF_PAGE
from extractors.arxiv_atom import parse_atom_records
from extractors.arxiv_listing import parse_listing, parse_listing_page
from extractors.hf_daily_html import parse_daily_page
from extractors.hf_daily_json import parse_daily_api

Extractor = Callable[..., list[PaperRecord]]

# source name -> extractor; `papertrend extract --source NAME` uses these names.
EXTRACTORS: dict[str, Extractor] = {
    HF_API: parse_daily_api,
    HF_PAGE: parse_daily_page,
    ARXIV_LISTING: parse_listing,
    ARXIV_ATOM: parse_atom_records,
}


def guess_source(body: bytes) -> str:
    """Name the extractor for a saved body from its first bytes."""
    head = body.lstrip()[:200]
    if head[:1] in (b"[", b"{"):
        return HF_API
    if head.startswith(b"<?xml") or b"<feed" in head:
        return ARXIV_ATOM
    return ARXIV_LISTING if b"Showing new listings for" in body[:20000] else HF_PAGE


@dataclass(frozen=True)
class Extraction:
    """A body's records and the digest day it says it is: a listing dates itself by its announcement
    heading (even when empty); every other body is the day it was asked for."""

    records: list[PaperRecord]
    digest_date: date


def extract_dated(
    body: bytes, *, source: str, digest_date: date, observed_at: datetime, where: str | None = None, listing: str = ""
) -> Extraction:
    """Run the named extractor; raises KeyError for an unknown source and ExtractError for bad input.

    `listing` names the arXiv category of a listing page (the page's own h1 otherwise). The only home of
    the listing's special case: flows and `papertrend extract` both come through here.
    """
    where = where or source
    if source == ARXIV_LISTING:
        page = parse_listing_page(body, observed_at=observed_at, where=where, category=listing or None)
        return Extraction(page.records, page.announced)
    return Extraction(
        EXTRACTORS[source](body, digest_date=digest_date, observed_at=observed_at, where=where), digest_date
    )


def extract(
    body: bytes, *, source: str, digest_date: date, observed_at: datetime, where: str | None = None, listing: str = ""
) -> list[PaperRecord]:
    """The records of `extract_dated`."""
    return extract_dated(
        body, source=source, digest_date=digest_date, observed_at=observed_at, where=where, listing=listing
    ).records
