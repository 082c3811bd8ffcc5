"""arXiv history and enrichment through the Atom API: a category by submission date, or ids.

The API asks for one request every 3 seconds and one connection at a time; a
403 means stop. Each results page is archived and loaded like any digest page
(source `arxiv-api`, one raw page per results page).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from extractors.arxiv_atom import error_message, feed_total
from extractors.ids import canonical_arxiv_id
from flows import progress
from flows.archive import RawArchive
from flows.calendar import is_listing_day
from flows.http import FetchError, Fetcher, FetchRefused, RateLimited, shared_fetcher
from flows.pages import extract_page, raw_page
from flows.settings import Settings
from flows.sources import DigestKind
from flows.summary import IngestIncomplete, IngestSummary
from warehouse import queries
from warehouse.db import connect, publish_snapshot
from warehouse.load import PageResult, load_pages
from warehouse.runs import finish_run, start_run

ID_BATCH = 100


@dataclass
class ApiOutcome:
    """What the pages of one query produced."""

    results: list[PageResult]
    failure: str | None = None
    stop: str | None = None


def api_kind(settings: Settings, listing: str) -> DigestKind:
    """The Atom API as a digest kind (its URL is built per query, not per day)."""
    return DigestKind("arxiv-api", "api", "arxiv-api", settings.arxiv_api_url, "/api/query", listing=listing)


def query_url(settings: Settings, params: dict[str, Any]) -> str:
    return f"{settings.arxiv_api_url.rstrip('/')}/api/query?{urlencode(params)}"


def fetch_query(fetcher: Fetcher, archive: RawArchive, settings: Settings, params: dict[str, Any], *,
                day: date, listing: str) -> ApiOutcome:
    """Every page of one API query, archived and extracted; stops at the first failure."""
    outcome, start = ApiOutcome([]), 0
    while True:
        url = query_url(settings, {**params, "start": start, "max_results": settings.arxiv_api_page_size})
        try:
            fetched = fetcher.get(url)
        except RateLimited as exc:
            outcome.stop = str(exc)
            return outcome
        except FetchRefused as exc:
            if exc.status == 403:
                outcome.stop = f"arXiv refused us (HTTP 403): stop and check the User-Agent and rate ({exc})"
            else:
                outcome.failure = _api_error(exc)
            return outcome
        except FetchError as exc:
            outcome.failure = str(exc)
            return outcome
        page = raw_page(fetched, api_kind(settings, listing), day, archive.put(fetched.body))
        result = extract_page(fetched.body, page, "arxiv-api")
        outcome.results.append(result)
        total = feed_total(fetched.body) if result.error is None else None
        start += len(result.records)
        if total is None or not result.records or start >= total:
            return outcome


def _api_error(exc: FetchRefused) -> str:
    # arXiv explains a 400 in an Atom error feed; say what it said.
    message = error_message(exc.body)
    return f"{exc.url}: arXiv API error: {message}" if message else str(exc)


@task(name="arxiv-history-days", cache_policy=NO_CACHE, persist_result=False)
def history_days(category: str, days: list[date], settings: Settings, run_id: str) -> IngestSummary:
    """Fetch and load the API results for `category` submitted on each of `days` (one load per day)."""
    fetcher = shared_fetcher(settings.fetch_policy("arxiv-api"))
    archive, summary = RawArchive(settings.raw_dir), IngestSummary()
    for n, day in enumerate(days):
        window = f"[{day:%Y%m%d}0000 TO {day:%Y%m%d}2359]"
        outcome = fetch_query(fetcher, archive, settings, {"search_query": f"cat:{category} AND submittedDate:{window}",
                                                           "sortBy": "submittedDate", "sortOrder": "ascending"},
                              day=day, listing=category)
        _fold(summary, outcome, settings, run_id, suspicious=is_listing_day(day, settings.holidays))
        progress.advance(1)
        if outcome.stop:
            summary.stopped, summary.days_unfetched = outcome.stop, len(days) - n
            break
    return summary


def _fold(summary: IngestSummary, outcome: ApiOutcome, settings: Settings, run_id: str, *, suspicious: bool) -> None:
    with connect(settings.warehouse_path) as con:
        counts = load_pages(con, outcome.results, run_id=run_id)
    summary.pages_fetched += len(outcome.results)
    summary.new_papers += counts.new_papers
    summary.new_sightings += counts.new_sightings
    summary.updated_sightings += counts.updated_sightings
    summary.pages_quarantined += counts.pages_quarantined
    summary.quarantined += counts.quarantined
    first = outcome.results[0] if outcome.results else None
    if outcome.failure:
        summary.pages_failed += 1
        summary.failed.append(outcome.failure)
    elif first is not None and first.error is None and not first.records and suspicious:
        # A weekday with no submissions at all in a busy category is far likelier
        # an API hiccup than a quiet day: report it, do not record "no papers".
        summary.pages_failed += 1
        summary.failed.append(f"{first.page.url}: the first results page is empty for a weekday; suspicious")


@flow(name="arxiv-history", validate_parameters=False)
def arxiv_history(category: str, start: date, end: date, force: bool = False,
                  overrides: dict[str, Any] | None = None) -> IngestSummary:
    """Load `category`'s papers submitted in [start, end] from the Atom API; resumable per day."""
    settings = Settings.load(**(overrides or {}))
    days = [start + timedelta(n) for n in range((end - start).days + 1)]
    params = {"category": category, "start": start, "end": end, "force": force}
    with connect(settings.warehouse_path) as con:
        if not force:
            loaded = queries.loaded_api_days(con, category)
            days = [d for d in days if d not in loaded]
        run_id = start_run(con, "arxiv-history", params)
    summary = IngestSummary(run_id=run_id, days_requested=(end - start).days + 1)
    summary.days_skipped = summary.days_requested - len(days)
    progress.begin(len(days), f"arxiv-history {category}: {len(days)} day(s)")
    for n in range(0, len(days), settings.batch_days):
        if summary.stopped:
            summary.days_unfetched += len(days) - n
            break
        summary.add(history_days(category, days[n:n + settings.batch_days], settings, run_id))
    with connect(settings.warehouse_path) as con:
        finish_run(con, run_id, status="incomplete" if summary.incomplete else "completed",
                   counts=summary.counters(), error=summary.stopped)
    publish_snapshot(settings.warehouse_path)
    if summary.incomplete:
        raise IngestIncomplete(summary)
    return summary


@flow(name="arxiv-lookup", validate_parameters=False)
def arxiv_lookup(ids: list[str], overrides: dict[str, Any] | None = None) -> IngestSummary:
    """Fetch and load the current metadata of `ids` (any spelling) in id_list batches of 100.

    Raises InvalidArxivId before any request when an id is not an arXiv id.
    """
    settings = Settings.load(**(overrides or {}))
    wanted = list(dict.fromkeys(canonical_arxiv_id(i) for i in ids))
    with connect(settings.warehouse_path) as con:
        run_id = start_run(con, "arxiv-lookup", {"ids": len(wanted)})
    fetcher, archive = shared_fetcher(settings.fetch_policy("arxiv-api")), RawArchive(settings.raw_dir)
    summary, today = IngestSummary(run_id=run_id, days_requested=len(wanted)), date.today()
    for n in range(0, len(wanted), ID_BATCH):
        outcome = fetch_query(fetcher, archive, settings, {"id_list": ",".join(wanted[n:n + ID_BATCH])},
                              day=today, listing="id_list")
        _fold(summary, outcome, settings, run_id, suspicious=False)
        if outcome.stop:
            summary.stopped = outcome.stop
            break
    with connect(settings.warehouse_path) as con:
        finish_run(con, run_id, status="incomplete" if summary.incomplete else "completed",
                   counts=summary.counters(), error=summary.stopped)
    if summary.incomplete:
        raise IngestIncomplete(summary)
    return summary
