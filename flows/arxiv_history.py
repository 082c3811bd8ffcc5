"""arXiv history and enrichment through the Atom API: a category by submission date, or ids.

The API asks for one request every 3 seconds and one connection at a time; a
403 means stop. Each results page is archived and loaded like any digest page
(source `arxiv-api`); a window (category x submission day) counts as loaded
only once every page of it came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from common.ids import canonical_arxiv_id, check_category
from common.sources import ARXIV_API, ARXIV_ATOM, LABELS
from extractors.arxiv_atom import error_message, feed_total
from flows import progress
from flows.archive import RawArchive
from flows.calendar import is_listing_day
from flows.day import extract_page, raw_page
from flows.digests import DigestKind
from flows.http import Fetched, Fetcher, FetchError, FetchRefused, shared_fetcher, stop_reason
from flows.run import RunSummary, recorded_run
from flows.settings import Settings, run_settings
from warehouse import queries
from warehouse.db import connect
from warehouse.load import PageResult, load_pages
from warehouse.runs import record_api_window

ID_BATCH = 100


@dataclass
class ApiOutcome:
    """What the pages of one query produced, and whether they are all of it."""

    results: list[PageResult]
    total: int = 0
    failure: str | None = None
    stop: str | None = None

    @property
    def loaded(self) -> int:
        return sum(len(r.records) for r in self.results)

    @property
    def complete(self) -> bool:
        return self.failure is None and self.stop is None and self.loaded >= self.total


def api_kind(settings: Settings, listing: str) -> DigestKind:
    """The Atom API as a digest kind (its URL is built per query, not per day)."""
    return DigestKind(ARXIV_API, "api", settings.arxiv_api_url, "/api/query", listing=listing)


def query_url(settings: Settings, params: dict[str, Any]) -> str:
    """The API URL for a query."""
    return f"{settings.arxiv_api_url.rstrip('/')}/api/query?{urlencode(params)}"


def fetch_query(
    fetcher: Fetcher, archive: RawArchive, settings: Settings, params: dict[str, Any], *, day: date, listing: str
) -> ApiOutcome:
    """Every page of one API query, archived and extracted; stops at the first failure."""
    outcome, kind = ApiOutcome([]), api_kind(settings, listing)
    while True:
        url = query_url(settings, {**params, "start": outcome.loaded, "max_results": settings.arxiv_api_page_size})
        try:
            fetched = fetcher.get(url)
        except FetchError as exc:
            _refused(outcome, exc, archive, kind, day)
            return outcome
        result = extract_page(fetched.body, raw_page(fetched, kind, day, archive.put(fetched.body)), ARXIV_ATOM)
        outcome.results.append(result)
        if result.error is not None:
            outcome.failure = f"{url}: {result.error}"
            return outcome
        if len(outcome.results) == 1:
            outcome.total = feed_total(fetched.body) or 0
        if outcome.loaded >= outcome.total:
            return outcome
        if not result.records:
            # The API sometimes ends a result set early with an empty page.
            outcome.failure = f"{url}: an empty page at {outcome.loaded} of {outcome.total} results"
            return outcome


def _refused(outcome: ApiOutcome, exc: FetchError, archive: RawArchive, kind: DigestKind, day: date) -> None:
    outcome.stop = stop_reason(exc, LABELS[kind.source])
    if outcome.stop is not None:
        return
    if isinstance(exc, FetchRefused) and exc.body:
        # arXiv explains a 400 in an Atom error feed: keep it, and say what it said.
        message = error_message(exc.body)
        outcome.failure = f"{exc.url}: {message or exc}"
        error_page = Fetched(url=exc.url, status=exc.status, body=exc.body, fetched_at=datetime.now(UTC))
        page = raw_page(error_page, kind, day, archive.put(exc.body))
        outcome.results.append(PageResult(page, error=f"ApiErrorFeed: {message or f'HTTP {exc.status}'}"))
    else:
        outcome.failure = str(exc)


@task(name="arxiv-history-days", cache_policy=NO_CACHE, persist_result=False)
def history_days(category: str, days: list[date], settings: Settings, run_id: str) -> RunSummary:
    """Fetch and load the API results for `category` submitted on each of `days` (one load per day)."""
    fetcher = shared_fetcher(settings.fetch_policy("arxiv-api"))
    archive, summary = RawArchive(settings.raw_dir), RunSummary()
    for n, day in enumerate(days):
        window = f"[{day:%Y%m%d}0000 TO {day:%Y%m%d}2359]"
        outcome = fetch_query(
            fetcher,
            archive,
            settings,
            {
                "search_query": f"cat:{category} AND submittedDate:{window}",
                "sortBy": "submittedDate",
                "sortOrder": "ascending",
            },
            day=day,
            listing=category,
        )
        _fold(summary, outcome, settings, run_id)
        with connect(settings.warehouse_path) as con:
            record_api_window(
                con,
                listing=category,
                window_date=day,
                total=outcome.total,
                loaded=outcome.loaded,
                complete=outcome.complete,
            )
        if outcome.complete and outcome.total == 0 and is_listing_day(day, settings.holidays):
            # A weekday without a single submission in a followed category is far
            # likelier an API hiccup than a quiet day: report it, once it settles it is kept.
            summary.pages_failed += 1
            summary.failed.append(f"{category} {day}: the API lists no submissions for a weekday; suspicious")
        progress.advance(1)
        if outcome.stop:
            summary.stopped, summary.days_unfetched = outcome.stop, len(days) - n
            break
    return summary


def _fold(summary: RunSummary, outcome: ApiOutcome, settings: Settings, run_id: str) -> None:
    with connect(settings.warehouse_path) as con:
        counts = load_pages(con, outcome.results, run_id=run_id)
    summary.pages_fetched += len(outcome.results)
    summary.add_load(counts)
    if outcome.failure:
        summary.pages_failed += 1
        summary.failed.append(outcome.failure)


@flow(name="arxiv-history", validate_parameters=False)
def arxiv_history(category: str, start: date, end: date, force: bool = False) -> RunSummary:
    """Load `category`'s papers submitted in [start, end] from the Atom API; resumable per day.

    Raises UnknownCategory before any request when arXiv has no such category.
    """
    check_category(category)
    settings = run_settings()
    days = [start + timedelta(n) for n in range((end - start).days + 1)]
    if not force:
        with connect(settings.warehouse_path) as con:
            loaded = queries.loaded_api_days(con, category, settle_days=settings.refresh_days)
        days = [d for d in days if d not in loaded]
    params = {"category": category, "start": start, "end": end, "force": force}
    with recorded_run(settings, "arxiv-history", params) as summary:
        summary.days_requested = (end - start).days + 1
        summary.days_skipped = summary.days_requested - len(days)
        progress.begin(len(days), f"arxiv-history {category}: {len(days)} day(s)")
        for n in range(0, len(days), settings.batch_days):
            if summary.stopped:
                summary.days_unfetched += len(days) - n
                break
            summary.add(history_days(category, days[n : n + settings.batch_days], settings, summary.run_id))
    return summary


@flow(name="arxiv-lookup", validate_parameters=False)
def arxiv_lookup(ids: list[str]) -> RunSummary:
    """Fetch and load the current metadata of `ids` (any spelling) in id_list batches of 100.

    Raises InvalidArxivId before any request when an id is not an arXiv id.
    """
    settings = run_settings()
    wanted = list(dict.fromkeys(canonical_arxiv_id(i) for i in ids))
    fetcher, archive = shared_fetcher(settings.fetch_policy("arxiv-api")), RawArchive(settings.raw_dir)
    with recorded_run(settings, "arxiv-lookup", {"ids": len(wanted)}) as summary:
        summary.days_requested = len(wanted)
        for n in range(0, len(wanted), ID_BATCH):
            outcome = fetch_query(
                fetcher,
                archive,
                settings,
                {"id_list": ",".join(wanted[n : n + ID_BATCH])},
                day=datetime.now(UTC).date(),
                listing="id_list",
            )
            _fold(summary, outcome, settings, summary.run_id)
            if outcome.stop:
                summary.stopped = outcome.stop
                break
    return summary
