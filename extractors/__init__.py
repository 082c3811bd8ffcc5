"""Pure extractors: bytes in, records out. No network, disk or SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from extractors.arxiv_atom import parse_atom_records
from extractors.arxiv_listing import parse_listing
from extractors.hf_daily_html import parse_daily_page
from extractors.hf_daily_json import parse_daily_api
from extractors.records import PaperRecord
from extractors.sources import ARXIV_ATOM, ARXIV_LISTING, HF_API, HF_PAGE

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


def extract(
    body: bytes, *, source: str, digest_date: date, observed_at: datetime, where: str | None = None, listing: str = ""
) -> list[PaperRecord]:
    """Run the named extractor; raises KeyError for an unknown source and ExtractError for bad input.

    `listing` names the arXiv category of a listing page (the page's own h1 otherwise).
    """
    if source == ARXIV_LISTING:
        return parse_listing(
            body, digest_date=digest_date, observed_at=observed_at, where=where or source, category=listing or None
        )
    return EXTRACTORS[source](body, digest_date=digest_date, observed_at=observed_at, where=where or source)
