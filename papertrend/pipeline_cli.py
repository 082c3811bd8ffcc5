"""The pipeline's commands: `ingest`, `backfill`, `arxiv-history`, `arxiv-lookup`, `reextract`, `index-terms`,
`report` and `status`. Each parses its options, runs a flow (or a step) and prints what it did."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated

import typer

from papertrend.errors import QuarantineOpen, RawPagesDamaged, RefreshWindowNegative
from papertrend.failures import EXIT_FAILURE
from papertrend.options import DataDir, DayArgument, Force, Large, ListFormat, ListFormatOption
from papertrend.shell import ProgressBar, flows_with, print_summary, run_flow, settings_for


def ingest(
    day: Annotated[datetime | None, typer.Argument(formats=["%Y-%m-%d"], help="Digest date (default: today)")] = None,
    refresh_days: Annotated[int | None, typer.Option(help="Days before DAY to re-fetch")] = None,
    large: Large = False,
    data_dir: DataDir = None,
) -> None:
    """Fetch one digest day and re-fetch the refresh window before it."""
    settings = settings_for(data_dir)
    from flows.bounds import check_day, check_refresh_window, latest_day

    if refresh_days is not None and refresh_days < 0:
        raise RefreshWindowNegative(f"--refresh-days must be 0 or more, not {refresh_days}")
    target = check_day(day.date(), settings, what="DAY") if day else latest_day(settings) - timedelta(1)
    if refresh_days is not None:
        check_refresh_window(target, refresh_days, settings, large=large)
    from flows.ingest import ingest as ingest_flow

    print_summary(run_flow(settings, ingest_flow, day.date() if day else None, refresh_days))


def backfill(
    start: DayArgument,
    end: DayArgument,
    force: Force = False,
    large: Large = False,
    data_dir: DataDir = None,
) -> None:
    """Load every digest day from START to END; resumable (loaded days are skipped)."""
    settings = settings_for(data_dir)
    from flows.bounds import backfill_cost, check_range

    cost = partial(backfill_cost, start.date(), end.date(), settings)  # only worked out for a refusal
    check_range(start.date(), end.date(), settings, large=large, cost=cost)
    from flows.ingest import backfill as backfill_flow

    print_summary(run_flow(settings, backfill_flow, start.date(), end.date(), force))


def arxiv_history(
    category: Annotated[str, typer.Argument(help="arXiv category, e.g. cs.LG")],
    start: DayArgument,
    end: DayArgument,
    force: Force = False,
    large: Large = False,
    data_dir: DataDir = None,
) -> None:
    """Load a category's papers submitted from START to END through the arXiv API (3 s per request)."""
    from common.ids import check_category

    check_category(category)  # before settings: a typo is named even with a broken config
    settings = settings_for(data_dir)
    from flows.bounds import check_range, history_cost

    cost = partial(history_cost, start.date(), end.date(), settings)
    check_range(start.date(), end.date(), settings, large=large, cost=cost)
    from flows.arxiv_history import arxiv_history as history_flow

    print_summary(run_flow(settings, history_flow, category, start.date(), end.date(), force))


def arxiv_lookup(
    ids: Annotated[list[str], typer.Argument(help="arXiv ids, any spelling (2406.01234v2, URLs)")],
    data_dir: DataDir = None,
) -> None:
    """Fetch the current arXiv metadata of papers by id, 100 per request."""
    settings = settings_for(data_dir)
    from flows.arxiv_history import arxiv_lookup as lookup_flow

    with flows_with(settings):
        summary = lookup_flow(ids)
    print_summary(summary)


def reextract(data_dir: DataDir = None) -> None:
    """Rebuild papers, sightings, digests and quarantine from the raw archive (no network)."""
    settings = settings_for(data_dir)
    from flows.reextract import reextract as run_reextract

    with flows_with(settings), ProgressBar():
        result = run_reextract()
    counts = result.counts
    typer.echo(
        f"pages={counts.pages_loaded + counts.pages_quarantined} failed_extraction={counts.pages_quarantined} "
        f"open_quarantine={result.open_quarantine} papers={counts.new_papers} sightings={counts.new_sightings}"
    )
    if result.damaged:
        raise RawPagesDamaged(
            f"{len(result.damaged)} damaged raw page(s) quarantined and set aside in "
            f"{settings.raw_dir / 'corrupt'}; everything else was rebuilt"
        )
    if result.open_quarantine:
        raise QuarantineOpen(f"{result.open_quarantine} day(s) have only pages that do not extract")


def index_terms(
    rebuild: Annotated[bool, typer.Option(help="Drop the phrase index and build it again")] = False,
    data_dir: DataDir = None,
) -> None:
    """Bring the key-phrase index behind weekly trends up to date (every flow run does this itself)."""
    settings = settings_for(data_dir)
    from flows.indexing import rebuild_phrase_index, refresh_phrase_index
    from flows.run import publish_snapshot
    from warehouse.db import connect

    with connect(settings.warehouse_path) as con:
        indexed = rebuild_phrase_index(con) if rebuild else refresh_phrase_index(con)
    publish_snapshot(settings)
    typer.echo(f"indexed={indexed}")


def report(
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2025-W22 (default: the last complete week)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the week's trends as one JSON object")] = False,
    data_dir: DataDir = None,
) -> None:
    """Compute the weekly trends report: Markdown, HTML and charts under <data dir>/reports, rows in the warehouse."""
    settings = settings_for(data_dir)
    from flows.weekly import weekly_report
    from reports.locations import index_path, report_path
    from reports.weeks import week_start

    if week is not None:
        week_start(week)  # a bad label is a usage error before any work starts
    with flows_with(settings):
        result = weekly_report(week)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, default=str) + "\n")
    else:
        typer.echo(
            f"{result.week}: {result.papers} papers, {len(result.stories)} stories, "
            f"{len(result.rising_terms)} rising and {len(result.new_terms)} new terms"
        )
        typer.echo(
            f"report at {report_path(settings.data_dir, result.week).resolve()} (and report.md); index at "
            f"{index_path(settings.data_dir).resolve()}"
        )


def status(
    format: ListFormatOption = ListFormat.table,
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="Judge freshness as of the end of this day (timezone)"),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Is it healthy? Freshness per source, the last run of each flow, open quarantine, runs stuck waiting
    for a deployment's slot (asked of the Prefect server, 2 s at most). Exit 1 when not."""
    from flows.bounds import check_day
    from flows.health import check_health, end_of_day
    from flows.prefect_server import known_api_url

    settings = settings_for(data_dir)
    judged = end_of_day(check_day(as_of.date(), settings, what="--as-of"), settings) if as_of else None
    health = check_health(settings, judged, known_api_url(settings.data_dir))
    if format is ListFormat.json:
        sys.stdout.write(json.dumps(health.as_json(), indent=2, default=str) + "\n")
    else:
        from rich.console import Console

        from papertrend.health_view import show_health

        show_health(health, str(settings.warehouse_path), Console())
    if not health.healthy:
        raise typer.Exit(EXIT_FAILURE)
