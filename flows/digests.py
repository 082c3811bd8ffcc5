"""Where each source's digests live on the web, and which extractor reads each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from common.sources import ARXIV, ARXIV_API, ARXIV_ATOM, ARXIV_LISTING, HF, HF_API, HF_PAGE
from flows.settings import Settings
from warehouse.queries import DigestKey


@dataclass(frozen=True)
class DigestKind:
    """One way to read a digest: a URL shape, the extractor for its body, the politeness class."""

    source: str  # warehouse source name (common.sources)
    kind: str  # "api" | "page" | "listing"; also picks the fetch policy
    base_url: str
    path: str  # with {date} and/or {category}
    listing: str = ""  # arXiv category of a listing

    @property
    def extractor(self) -> str:
        """The extractor that reads this kind's bodies (the same table serves reextract)."""
        return EXTRACTOR_BY_KIND[(self.source, self.kind)]

    def url(self, day: date) -> str:
        """The URL of this kind's digest for `day`."""
        return self.base_url.rstrip("/") + self.path.format(date=day.isoformat(), category=self.listing)

    def key(self, day: date) -> DigestKey:
        """What this kind's digest for `day` is, wherever it is fetched from."""
        return (self.source, self.kind, self.listing, day)


@dataclass(frozen=True)
class WorkItem:
    """One digest to fetch for one day: kinds tried in order until one loads."""

    day: date
    kinds: tuple[DigestKind, ...]


# (source, kind) of a digest or raw page -> the extractor that reads it: the only such table
# (DigestKind.extractor and reextract both read it).
EXTRACTOR_BY_KIND = {
    (HF, "api"): HF_API,
    (HF, "page"): HF_PAGE,
    (ARXIV, "listing"): ARXIV_LISTING,
    (ARXIV_API, "api"): ARXIV_ATOM,
}


def hf_kinds(settings: Settings) -> tuple[DigestKind, ...]:
    """The kinds to try for an HF day, in order: the configured one, then the fallback."""
    api = DigestKind(HF, "api", settings.hf_base_url, "/api/daily_papers?date={date}")
    page = DigestKind(HF, "page", settings.hf_base_url, "/papers/date/{date}")
    if settings.hf_mode == "page":
        return (page,)
    return (api, page) if settings.hf_fallback else (api,)


def arxiv_listing_kinds(settings: Settings) -> list[DigestKind]:
    """One /new listing per configured category (none when arXiv is switched off)."""
    if not settings.arxiv_enabled:
        return []
    return [
        DigestKind(ARXIV, "listing", settings.arxiv_base_url, settings.arxiv_listing_path, listing=category)
        for category in settings.categories
    ]


def work_items(settings: Settings, days: list[date], *, with_arxiv: bool = True) -> list[WorkItem]:
    """Everything to fetch for `days`: each HF day, then each arXiv category listing per day.

    A listing path without {date} (the real /new page) shows only the latest
    announcement, so it is fetched once, not once per day.
    """
    items = [WorkItem(day, hf_kinds(settings)) for day in days] if settings.hf_enabled else []
    listings = arxiv_listing_kinds(settings) if with_arxiv else []
    dated = "{date}" in settings.arxiv_listing_path
    for day in days if dated else days[-1:]:
        items += [WorkItem(day, (kind,)) for kind in listings]
    return items
