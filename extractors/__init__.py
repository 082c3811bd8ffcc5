"""Pure extractors: bytes in, records out. No network, disk or SQL."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from extractors.hf_daily_html import parse_daily_page
from extractors.hf_daily_json import parse_daily_api
from extractors.records import PaperRecord

Extractor = Callable[..., list[PaperRecord]]

# source name -> extractor; `papertrend extract --source NAME` uses these names.
EXTRACTORS: dict[str, Extractor] = {
    "hf-api": parse_daily_api,
    "hf-page": parse_daily_page,
}


def guess_source(body: bytes) -> str:
    """Name the extractor for a saved body: JSON goes to the API extractor, the rest is HTML."""
    head = body.lstrip()[:1]
    return "hf-api" if head in (b"[", b"{") else "hf-page"


def extract(body: bytes, *, source: str, digest_date: date, observed_at: datetime,
            where: str | None = None) -> list[PaperRecord]:
    """Run the named extractor; raises KeyError for an unknown source and ExtractError for bad input."""
    return EXTRACTORS[source](body, digest_date=digest_date, observed_at=observed_at, where=where or source)
