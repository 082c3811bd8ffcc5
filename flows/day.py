"""One digest day end to end, short of the load: fetch, keep the raw body, extract."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from common.sources import LABELS
from extractors import extract_dated
from extractors.errors import ExtractError
from flows.archive import RawArchive
from flows.digests import DigestKind, WorkItem
from flows.http import Fetched, Fetcher, FetchError, ResponseTooLarge, stop_reason
from warehouse.load import PageResult, RawPage
from warehouse.queries import DigestKey

# (sha256, etag, last_modified) of the page currently loaded for a digest.
Validators = tuple[str, str | None, str | None]


@dataclass
class DayOutcome:
    """What fetching one day produced: pages to load, or why nothing changed or nothing came."""

    day: date
    results: list[PageResult] = field(default_factory=list)
    fetched: int = 0
    not_modified: bool = False
    failures: list[str] = field(default_factory=list)
    rate_limited: str | None = None  # the host told us to stop: the reason

    @property
    def loaded(self) -> bool:
        """The day holds a usable digest after this fetch (new, or unchanged)."""
        return self.not_modified or any(r.error is None for r in self.results)

    @property
    def fell_back(self) -> bool:
        """The first kind failed and a later one loaded the day."""
        return self.loaded and bool(self.failures or any(r.error for r in self.results))

    @property
    def quarantined(self) -> list[PageResult]:
        """Pages that failed extraction on a day that did not load otherwise."""
        return [] if self.loaded else [r for r in self.results if r.error]


def collect_day(
    item: WorkItem, *, fetchers: dict[str, Fetcher], archive: RawArchive, known: dict[DigestKey, Validators]
) -> DayOutcome:
    """Try the item's kinds in order until one yields records (or the digest is unchanged).

    Every body received is archived before it is parsed, so a page that fails
    extraction is kept and named in quarantine. `known` maps digests to the
    validators of the page currently loaded for them (from any URL).
    """
    outcome = DayOutcome(item.day)
    for kind in item.kinds:
        url = kind.url(item.day)
        sha256, etag, modified = known.get(kind.key(item.day), (None, None, None))
        try:
            fetched = fetchers[kind.kind].get(url, etag=etag, last_modified=modified)
        except FetchError as exc:
            if _record_failure(outcome, exc, kind, archive):
                return outcome
            continue
        if fetched.not_modified:
            outcome.not_modified = True
            return outcome
        outcome.fetched += 1
        stored = archive.put(fetched.body)
        if stored == sha256:
            outcome.not_modified = True  # same bytes as what is loaded: nothing to do
            return outcome
        result = extract_page(fetched.body, raw_page(fetched, kind, item.day, stored), kind.extractor)
        outcome.results.append(result)
        if result.error is None:
            return outcome
    return outcome


def _record_failure(outcome: DayOutcome, exc: FetchError, kind: DigestKind, archive: RawArchive) -> bool:
    """Note why a fetch failed; True when the host told us to stop (try no other kind)."""
    if isinstance(exc, ResponseTooLarge):
        outcome.fetched += 1
        outcome.results.append(
            _quarantined(
                exc.partial, kind, outcome.day, archive, truncation_reason(len(exc.partial.body)), truncated=True
            )
        )
        return False
    stop = stop_reason(exc, LABELS[kind.source])
    if stop is not None:
        # Every kind of an item lives on one host, so falling back would only hit it again.
        outcome.rate_limited = stop
        return True
    outcome.failures.append(str(exc))
    return False


def raw_page(fetched: Fetched, kind: DigestKind, day: date, sha256: str, *, truncated: bool = False) -> RawPage:
    """The raw_pages row for a fetched body."""
    return RawPage(
        url=fetched.url,
        sha256=sha256,
        source=kind.source,
        kind=kind.kind,
        digest_date=day,
        status=fetched.status,
        fetched_at=fetched.fetched_at,
        size=len(fetched.body),
        content_type=fetched.content_type,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        truncated=truncated,
        listing=kind.listing,
    )


def truncation_reason(size: int) -> str:
    """The quarantine reason of a body cut at the byte cap (the same on fetch and reextract)."""
    return f"ResponseTooLarge: body passed the byte cap and was cut at {size} bytes"


def extract_page(body: bytes, page: RawPage, extractor: str) -> PageResult:
    """Extract a kept body; an extraction error becomes the page's quarantine reason."""
    try:
        extraction = extract_dated(
            body,
            source=extractor,
            digest_date=page.digest_date,
            observed_at=page.fetched_at,
            where=page.url,
            listing=page.listing,
        )
        records, stated = extraction.records, extraction.digest_date
    except ExtractError as exc:
        return PageResult(page, error=f"{type(exc).__name__}: {exc.reason}")
    except Exception as exc:
        return PageResult(page, error=f"ExtractorCrashed: {type(exc).__name__}: {exc}")
    return PageResult(page, records=records, digest_date=stated if stated != page.digest_date else None)


def _quarantined(
    fetched: Fetched, kind: DigestKind, day: date, archive: RawArchive, error: str, *, truncated: bool
) -> PageResult:
    sha256 = archive.put(fetched.body)
    return PageResult(raw_page(fetched, kind, day, sha256, truncated=truncated), error=error)
