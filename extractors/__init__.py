"""Pure extractors: bytes in, records out. No network, disk or SQL."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from extractors.arxiv_atom import parse_atom_records
from extractors.arxiv_listing import parse_listing
from extractors.hf_daily_html import parse_daily_page
from extractors.hf_daily_json import parse_daily_api
from extractors.records import PaperRecord

Extractor = Callable[..., list[PaperRecord]]

# source name -> extractor; `papertrend extract --source NAME` uses these names.
EXTRACTORS: dict[str, Extractor] = {
    "hf-api": parse_daily_api,
    "hf-page": parse_daily_page,
    "arxiv-listing": parse_listing,
    "arxiv-api": parse_atom_records,
}


def guess_source(body: bytes) -> str:
    """Name the extractor for a saved body from its first bytes."""
    head = body.lstrip()[:200]
    if head[:1] in (b"[", b"{"):
        return "hf-api"
    if head.startswith(b"<?xml") or b"<feed" in head:
        return "arxiv-api"
    return "arxiv-listing" if b"Showing new listings for" in body[:20000] else "hf-page"


def extract(body: bytes, *, source: str, digest_date: date, observed_at: datetime,
            where: str | None = None, listing: str = "") -> list[PaperRecord]:
    """Run the named extractor; raises KeyError for an unknown source and ExtractError for bad input.

    `listing` names the arXiv category of a listing page (the page's own h1 otherwise).
    """
    if source == "arxiv-listing":
        return parse_listing(body, digest_date=digest_date, observed_at=observed_at, where=where or source,
                             category=listing or None)
    return EXTRACTORS[source](body, digest_date=digest_date, observed_at=observed_at, where=where or source)
