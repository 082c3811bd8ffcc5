"""The `papertrend` command line: thin wrappers over flows, warehouse queries and extractors."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO

import typer

from flows.prefect_env import prepare_prefect_env
from flows.settings import Settings, settings_in_use
from papertrend import email_cli
from papertrend.failures import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    fail,
    reported,
    shown_once,
    stop_on_signals,
)
from papertrend.options import DataDir
from papertrend.results import Format

if TYPE_CHECKING:  # rich is imported only when a progress bar is shown
    from rich.progress import TaskID

app: typer.Typer = typer.Typer(
    help="Track trending ML papers: fetch digests, keep them, query them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
DayArgument = Annotated[datetime, typer.Argument(formats=["%Y-%m-%d"])]
Force = Annotated[bool, typer.Option(help="Re-fetch days already loaded")]
Large = Annotated[bool, typer.Option(help="Allow a range or refresh window over the usual maximum (flows/bounds.py)")]
DEFAULT_MAX_ROWS = 1000
DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 86_400.0  # a day; also keeps the deadline arithmetic finite
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SERVER_RECORD = "server.json"  # <data_dir>/prefect/server.json: url and pid of `papertrend server start`
server_app = typer.Typer(help="The local Prefect server (UI, run history, schedules).", no_args_is_help=True)
app.add_typer(server_app, name="server")


class ListFormat(StrEnum):
    table = "table"
    json = "json"


_debug = False


@app.callback()
def main(
    debug: Annotated[
        bool, typer.Option("--debug", envvar="PAPERTREND_DEBUG", help="Print tracebacks with errors.")
    ] = False,
) -> None:
    """Track trending ML papers: fetch digests, keep them, query them."""
    global _debug
    _debug = debug
    stop_on_signals()


friendly: Callable[[Callable[..., Any]], Callable[..., Any]] = reported(
    lambda: _debug, lambda exc: _print_summary(exc.summary)
)


def _fail(message: str, hint: str, code: int = EXIT_FAILURE) -> NoReturn:
    raise fail(message, hint, code)


def _settings(data_dir: Path | None, **overrides: Any) -> Settings:
    """Resolve settings once for the command; flows it starts get them through settings_in_use."""
    settings = Settings.load(data_dir=data_dir, **overrides)
    prepare_prefect_env(settings.data_dir)
    return settings


@contextlib.contextmanager
def _prefect_api_in_use(settings: Settings) -> Iterator[None]:
    """Flows started in the block report to a Prefect server: the one Prefect is set to use
    (PREFECT_API_URL, a test harness), else the server of `papertrend server start` when it answers
    (which also spares the ~10 s of starting one), else a temporary one that dies with this process.

    Prefect's own temporary ("ephemeral") server outlived a command killed with
    SIGKILL or SIGTERM (~220 MB each); ours is ended by the kernel (flows/prefect_server.py).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.prefect_env import use_prefect_api
    from flows.prefect_server import answers, drain_run_logs, free_port, start_server, stop_started

    if PREFECT_API_URL.value():
        yield
        return
    recorded = _recorded_server(settings)
    owned = None
    if recorded and answers(recorded["url"]):
        url = recorded["url"]
    else:
        server, owned = start_server(settings.data_dir / "prefect", free_port())
        url = server.url
    use_prefect_api(url)  # for processes we start
    try:
        # Prefect read its settings when it was imported (the command imported its flow already).
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield
    finally:
        use_prefect_api(None)
        if owned is not None:
            drain_run_logs()
            stop_started(owned)


@contextlib.contextmanager
def _flows_with(settings: Settings) -> Iterator[None]:
    """Flows started in the block run with `settings`, recorded in a running local server if there is one;
    an expected failure is shown once, by `friendly`, not also as Prefect's traceback."""
    from warehouse.integrity import check_intact

    check_intact(settings.warehouse_path)  # a damaged warehouse is named before Prefect starts
    # _prefect_api_in_use imports Prefect, which sets up the logging shown_once adjusts.
    with _prefect_api_in_use(settings), settings_in_use(settings), shown_once(_debug):
        yield


def _run_flow(settings: Settings, flow: Callable[..., Any], *args: Any) -> Any:
    """Run a flow with the command's settings, showing its progress on stderr."""
    with _flows_with(settings), _Bar():
        return flow(*args)


class _Bar:
    """Shows flow progress as a rich progress bar on stderr."""

    def __enter__(self) -> _Bar:
        from rich.console import Console
        from rich.progress import Progress

        from flows import progress

        console = Console(stderr=True)
        # Not a terminal (a log file, a pipe, cron): no bar, and no blank line where it was.
        self.progress = Progress(console=console, transient=True, disable=not console.is_terminal)
        self.progress.start()
        self.task: TaskID | None = None
        progress.set_listener(self)
        return self

    def begin(self, total: int, label: str) -> None:
        self.task = self.progress.add_task(label, total=total)

    def advance(self, steps: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, steps)

    def __exit__(self, *exc: object) -> None:
        from flows import progress

        progress.set_listener(None)
        self.progress.stop()


def _print_summary(summary: Any) -> None:
    counts = {k: v for k, v in asdict(summary).items() if isinstance(v, int)}
    typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@app.command()
@friendly
def ingest(
    day: Annotated[datetime | None, typer.Argument(formats=["%Y-%m-%d"], help="Digest date (default: today)")] = None,
    refresh_days: Annotated[int | None, typer.Option(help="Days before DAY to re-fetch")] = None,
    large: Large = False,
    data_dir: DataDir = None,
) -> None:
    """Fetch one digest day and re-fetch the refresh window before it."""
    settings = _settings(data_dir)
    from flows.bounds import check_day, check_refresh_window, latest_day

    if refresh_days is not None and refresh_days < 0:
        _fail(f"--refresh-days must be 0 or more, not {refresh_days}", "e.g. --refresh-days 7", EXIT_USAGE)
    target = check_day(day.date(), settings, what="DAY") if day else latest_day(settings) - timedelta(1)
    if refresh_days is not None:
        check_refresh_window(target, refresh_days, settings, large=large)
    from flows.ingest import ingest as ingest_flow

    _print_summary(_run_flow(settings, ingest_flow, day.date() if day else None, refresh_days))


@app.command()
@friendly
def backfill(
    start: DayArgument,
    end: DayArgument,
    force: Force = False,
    large: Large = False,
    data_dir: DataDir = None,
) -> None:
    """Load every digest day from START to END; resumable (loaded days are skipped)."""
    settings = _settings(data_dir)
    from flows.bounds import backfill_cost, check_range

    cost = partial(backfill_cost, start.date(), end.date(), settings)  # only worked out for a refusal
    check_range(start.date(), end.date(), settings, large=large, cost=cost)
    from flows.ingest import backfill as backfill_flow

    _print_summary(_run_flow(settings, backfill_flow, start.date(), end.date(), force))


@app.command("arxiv-history")
@friendly
def arxiv_history(
    category: Annotated[str, typer.Argument(help="arXiv category, e.g. cs.LG")],
    start: DayArgument,
    end: DayArgument,
    force: Force = False,
    large: Large = False,
    data_dir: DataDir = None,
) -> None:
    """Load a category's papers submitted from START to END through the arXiv API (3 s per request)."""
    from extractors.ids import check_category

    check_category(category)  # before settings: a typo is named even with a broken config
    settings = _settings(data_dir)
    from flows.bounds import check_range, history_cost

    cost = partial(history_cost, start.date(), end.date(), settings)
    check_range(start.date(), end.date(), settings, large=large, cost=cost)
    from flows.arxiv_history import arxiv_history as history_flow

    _print_summary(_run_flow(settings, history_flow, category, start.date(), end.date(), force))


@app.command("arxiv-lookup")
@friendly
def arxiv_lookup(
    ids: Annotated[list[str], typer.Argument(help="arXiv ids, any spelling (2406.01234v2, URLs)")],
    data_dir: DataDir = None,
) -> None:
    """Fetch the current arXiv metadata of papers by id, 100 per request."""
    settings = _settings(data_dir)
    from flows.arxiv_history import arxiv_lookup as lookup_flow

    with _flows_with(settings):
        summary = lookup_flow(ids)
    _print_summary(summary)


@app.command()
@friendly
def reextract(data_dir: DataDir = None) -> None:
    """Rebuild papers, sightings, digests and quarantine from the raw archive (no network)."""
    settings = _settings(data_dir)
    from flows.reextract import reextract as run_reextract

    with _flows_with(settings), _Bar():
        result = run_reextract()
    counts = result.counts
    typer.echo(
        f"pages={counts.pages_loaded + counts.pages_quarantined} failed_extraction={counts.pages_quarantined} "
        f"open_quarantine={result.open_quarantine} papers={counts.new_papers} sightings={counts.new_sightings}"
    )
    if result.damaged:
        _fail(
            f"{len(result.damaged)} damaged raw page(s) quarantined and set aside in "
            f"{settings.raw_dir / 'corrupt'}; everything else was rebuilt",
            "re-fetch their days with `papertrend backfill DAY DAY --force` (`papertrend status` lists them)",
        )
    if result.open_quarantine:
        _fail(
            f"{result.open_quarantine} day(s) have only pages that do not extract",
            "see `papertrend status`; fix the extractor or re-fetch those days",
        )


@app.command("index-terms")
@friendly
def index_terms(
    rebuild: Annotated[bool, typer.Option(help="Drop the phrase index and build it again")] = False,
    data_dir: DataDir = None,
) -> None:
    """Bring the key-phrase index behind weekly trends up to date (every flow run does this itself)."""
    settings = _settings(data_dir)
    from flows.indexing import rebuild_phrase_index, refresh_phrase_index
    from flows.run import publish_snapshot
    from warehouse.db import connect

    with connect(settings.warehouse_path) as con:
        indexed = rebuild_phrase_index(con) if rebuild else refresh_phrase_index(con)
    publish_snapshot(settings)
    typer.echo(f"indexed={indexed}")


@app.command()
@friendly
def status(
    format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
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
    from flows.prefect_env import prefect_api_url

    settings = _settings(data_dir)
    recorded = prefect_api_url() or (_recorded_server(settings) or {}).get("url")
    judged = end_of_day(check_day(as_of.date(), settings, what="--as-of"), settings) if as_of else None
    health = check_health(settings, judged, recorded)
    if format is ListFormat.json:
        sys.stdout.write(json.dumps(health.as_json(), indent=2, default=str) + "\n")
    else:
        from rich.console import Console

        from papertrend.health_view import show_health

        show_health(health, str(settings.warehouse_path), Console())
    if not health.healthy:
        raise typer.Exit(EXIT_FAILURE)


@app.command(context_settings={"ignore_unknown_options": True})
@friendly
def sql(
    query: Annotated[str, typer.Argument(help="One SQL statement (read-only); it may start with a -- comment")],
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout (never onto papertrend's files)")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Let -o replace an existing file")] = False,
    max_rows: Annotated[int, typer.Option(help="Table format: rows shown at most")] = DEFAULT_MAX_ROWS,
    timeout: Annotated[float, typer.Option(help="Seconds before the query is stopped")] = DEFAULT_TIMEOUT,
    data_dir: DataDir = None,
) -> None:
    """Run read-only SQL on the published snapshot of the warehouse (every flow run republishes it)."""
    # ignore_unknown_options: a query such as "-- top papers\nSELECT ..." is the argument, not an unknown option.
    if format is Format.parquet and output is None:
        _fail("--format parquet needs --output FILE", "e.g. -f parquet -o papers.parquet", EXIT_USAGE)
    if max_rows < 0 or not 0 < timeout < MAX_TIMEOUT:
        _fail(
            f"--max-rows must be >= 0 and --timeout between 0 and {MAX_TIMEOUT:g} s",
            "e.g. --max-rows 50 --timeout 30",
            EXIT_USAGE,
        )
    from flows.exports import check_target, managed_paths
    from warehouse.db import connect_for_reading
    from warehouse.reader import check_reading

    settings = _settings(data_dir)
    if output is not None:
        check_target(output, managed_paths(settings), overwrite=overwrite)
    with connect_for_reading(settings.warehouse_path) as con:
        check_reading(con, query)
        _run_query(con, query, format, output, max_rows=max_rows, timeout=timeout)


def _run_query(con: Any, query: str, format: Format, output: Path | None, *, max_rows: int, timeout: float) -> None:
    """Run `query` and write its result in a worker thread, interrupting it on timeout, Ctrl-C or SIGTERM.

    DuckDB holds the main thread inside C code while it works, where neither a
    timer nor a signal gets through; waiting on a worker keeps this thread free
    to notice them and interrupt the query, so an export is never left half-written.
    """
    import duckdb

    failure: list[BaseException] = []
    cursor = con.cursor()  # the worker's own handle: interrupting it stops exactly this query

    def work() -> None:
        try:
            relation = cursor.sql(query)
            if relation is not None:  # a statement without a result prints nothing
                _write_result(relation, format, output, max_rows)
        except BaseException as exc:  # handed to the main thread below
            failure.append(exc.with_traceback(None))
        finally:
            cursor.close()

    worker = threading.Thread(target=work, name="papertrend-sql", daemon=True)
    caught: list[int] = []  # the signal that stopped us: our handlers, so none lands inside DuckDB's call
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in STOP_SIGNALS}
    deadline = time.monotonic() + timeout
    try:
        worker.start()
        while worker.is_alive() and time.monotonic() < deadline and not caught:
            worker.join(0.05)
        timed_out = worker.is_alive() and not caught
        if worker.is_alive():
            cursor.interrupt()
            worker.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        # The export is cleaned up; now the signal does what it does everywhere else.
        if caught[0] == signal.SIGINT:
            raise KeyboardInterrupt
        signal.raise_signal(caught[0])
    if timed_out or (failure and isinstance(failure[0], duckdb.InterruptException)):
        _fail(f"the query ran longer than {timeout:g} s and was stopped", "narrow it, or raise --timeout")
    if failure and isinstance(failure[0], duckdb.Error):
        from warehouse.reader import hint_for

        _fail(str(failure[0]).splitlines()[0], hint_for(str(failure[0])))
    if failure:
        raise failure[0]


def _write_result(relation: Any, format: Format, output: Path | None, max_rows: int) -> None:
    from flows.exports import exported
    from papertrend import results

    if output is None:
        _write_text(relation, format, sys.stdout, max_rows)
        return
    with exported(output) as handle:
        if format is Format.parquet:
            rows = results.write_parquet(relation, handle)
        else:
            out = io.TextIOWrapper(handle, encoding="utf-8", newline="")
            _write_text(relation, format, out, max_rows)
            out.flush()
            out.detach()  # exported() closes the file itself, then renames it
            rows = None
    if rows is not None:
        typer.echo(f"{rows} row(s) written to {output}", err=True)


def _write_text(relation: Any, format: Format, out: TextIO, max_rows: int) -> None:
    from papertrend import results

    frames = results.batches(relation)
    if format is Format.table:
        left_out = results.write_table(frames, out, max_rows=max_rows)
        if left_out:
            typer.echo(f"({left_out} more row(s) not shown; raise --max-rows or use -f csv)", err=True)
    else:
        {Format.csv: results.write_csv, Format.json: results.write_json, Format.jsonl: results.write_jsonl}[format](
            frames, out
        )


@app.command()
@friendly
def extract(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    source: Annotated[
        str | None, typer.Option(help="hf-api | hf-page | arxiv-listing | arxiv-api (default: guessed)")
    ] = None,
    day: Annotated[
        datetime | None,
        typer.Option(
            "--date",
            formats=["%Y-%m-%d"],
            help="Digest date (default: from the file name, else from an HF page itself)",
        ),
    ] = None,
) -> None:
    """Run an extractor on a saved page or API response; print its records as JSON lines."""
    from extractors import EXTRACTORS, guess_source
    from extractors import extract as run_extract
    from extractors.errors import ExtractError
    from flows.files import read_capped

    body = read_capped(path, Settings.load().fetch_max_bytes)
    source = source or guess_source(body)
    if source not in EXTRACTORS:
        _fail(f"unknown source {source!r}", f"use one of: {', '.join(EXTRACTORS)}", EXIT_USAGE)
    digest_date = _digest_date(path, body, source, day.date() if day else None)
    observed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    try:
        records = run_extract(body, source=source, digest_date=digest_date, observed_at=observed, where=str(path))
    except ExtractError as exc:
        _fail(str(exc), "the page is not in a shape this extractor knows; try --source, or file an issue with the page")
    for record in records:
        sys.stdout.write(json.dumps(asdict(record), ensure_ascii=False, default=str) + "\n")


def _digest_date(path: Path, body: bytes, source: str, given: date | None) -> date:
    # --date, else the file name's date, else (an HF digest page) the date the page states.
    from extractors.errors import ExtractError
    from extractors.hf_daily_html import page_date
    from extractors.sources import HF_PAGE

    match = re.search(r"\d{4}-\d{2}-\d{2}", path.name)
    if given is not None:
        return given
    if match is not None:
        return date.fromisoformat(match.group(0))
    stated = None
    if source == HF_PAGE:
        with contextlib.suppress(ExtractError):  # a broken page is named by the extractor below
            stated = page_date(body, where=str(path))
    if stated is None:
        _fail(f"no date in the file name {path.name!r} nor in the page", "pass --date YYYY-MM-DD", EXIT_USAGE)
    return stated


@app.command()
@friendly
def replay(
    corpus: Annotated[Path, typer.Option(exists=True, file_okay=False, help="Corpus directory")],
    port: Annotated[int, typer.Option(help="0 picks a free port")] = 8765,
    fault: Annotated[list[str] | None, typer.Option(help="KIND[:ARG]@MATCH[*TIMES], repeatable")] = None,
) -> None:
    """Serve a corpus on 127.0.0.1 at the real sites' paths, until Ctrl-C."""
    from digest_replay.server import Fault, ReplayServer

    try:
        faults = [Fault.parse(spec) for spec in fault or []]
    except ValueError as exc:
        _fail(str(exc), "e.g. --fault 429:2@date=2024-05-28*1 --fault malformed@2024-06-03", EXIT_USAGE)
    with ReplayServer(corpus, faults=faults, port=port) as server:
        typer.echo(f"serving {corpus} at {server.base_url}  (set PAPERTREND_HF_BASE_URL={server.base_url})")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("stopped")


@app.command()
@friendly
def demo(
    corpus: Annotated[
        Path | None, typer.Option(exists=True, file_okay=False, help="Replay this corpus instead of a synthetic one")
    ] = None,
    days: Annotated[int, typer.Option(help="Synthetic corpus: digest days")] = 60,
    papers_per_day: Annotated[int, typer.Option(help="Synthetic corpus: papers per day")] = 25,
    data_dir: DataDir = None,
) -> None:
    """Run the real pipeline end to end against a local replay of a corpus, and summarise."""
    settings = _settings(data_dir)
    from papertrend.demo import captured_days, run_demo

    if corpus is not None:
        captured_days(corpus)  # an empty corpus is said before a Prefect server is started

    with _Bar(), _prefect_api_in_use(settings), shown_once(_debug):
        report, summary = run_demo(settings, corpus=corpus, days=days, papers_per_day=papers_per_day)
    typer.echo(report)
    if summary.incomplete:
        _fail("the demo run did not load every day", "see the quarantined/failed counts above and `papertrend status`")


@app.command()
@friendly
def report(
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2025-W22 (default: the last complete week)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the week's trends as one JSON object")] = False,
    data_dir: DataDir = None,
) -> None:
    """Compute the weekly trends report: Markdown, HTML and charts under <data dir>/reports, rows in the warehouse."""
    settings = _settings(data_dir)
    from flows.weekly import weekly_report
    from reports.weeks import week_start

    if week is not None:
        week_start(week)  # a bad label is a usage error before any work starts
    with _flows_with(settings):
        result = weekly_report(week)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, default=str) + "\n")
    else:
        out = settings.data_dir / "reports" / result.week
        typer.echo(
            f"{result.week}: {result.papers} papers, {len(result.topics)} topic trends, "
            f"{len(result.rising_terms)} rising and {len(result.new_terms)} new terms"
        )
        typer.echo(
            f"report at {(out / 'report.html').resolve()} (and report.md); index at "
            f"{(settings.data_dir / 'reports' / 'index.html').resolve()}"
        )


@app.command()
@friendly
def serve(
    list_only: Annotated[bool, typer.Option("--list", help="Print the deployments and exit")] = False,
    format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    data_dir: DataDir = None,
) -> None:
    """Run every scheduled job (hf-daily, arxiv-daily, weekly-report) until stopped.

    Uses PREFECT_API_URL when set, else the server of `papertrend server start`
    when it answers, else starts a local Prefect server for as long as it runs.
    """
    settings = _settings(data_dir)
    from flows.schedule import COLLISION_STRATEGY, deployments, serve_deployments

    jobs = deployments(settings)
    if list_only:
        if format is ListFormat.json:
            sys.stdout.write(json.dumps([d.as_json() for d in jobs], indent=2) + "\n")
        else:
            for d in jobs:
                typer.echo(f"{d.name:14} {d.flow:14} {d.cron:16} {d.timezone:20} limit {d.concurrency_limit}")
        return
    url, owned = _prefect_server(settings)
    record = settings.data_dir / "prefect" / SERVER_RECORD
    if owned is not None:  # so that `status` and one-shot commands find it while serve runs
        from flows.prefect_server import LocalServer

        LocalServer(url, owned.pid).record(record)
    for d in jobs:
        typer.echo(f"{d.name}: '{d.cron}' ({d.timezone})")
    typer.echo(
        f"serving at {url} (UI: {url.removesuffix('/api')}); a run colliding with a running one is "
        f"{COLLISION_STRATEGY.lower()}d; Ctrl-C stops"
    )
    stop, received = threading.Event(), []

    def stop_serving(signum: int, frame: object) -> None:
        received.append(signal.Signals(signum))
        stop.set()

    # However serve was started (SIGINT ignored by a script's `&`, SIGTERM from systemd or a container):
    # both stop it within seconds.
    signal.signal(signal.SIGINT, stop_serving)
    signal.signal(signal.SIGTERM, stop_serving)
    try:
        serve_deployments(settings, stop, lambda line: typer.echo(f"{datetime.now():%H:%M:%S} {line}"))
    finally:
        stop_on_signals()
        if owned is not None:  # the runs' logs went from their own processes, which have ended
            from flows.prefect_server import stop_started

            stop_started(owned)
            if (_recorded_server(settings) or {}).get("pid") == owned.pid:
                record.unlink(missing_ok=True)
    how = received[0] if received else None
    typer.echo(f"stopped ({how.name if how else 'the runner ended'})")
    # Everything is stopped and recorded; the interpreter's own shutdown then waited ~3 s on what Prefect's
    # threads left behind, so serve ends here (a supervisor's stop timeout counts those seconds).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit({None: EXIT_FAILURE, signal.SIGTERM: EXIT_TERMINATED}.get(how, EXIT_INTERRUPTED))


def _prefect_server(settings: Settings) -> tuple[str, subprocess.Popen[bytes] | None]:
    """The Prefect API to serve against, and the process of a server we started for it (None if not ours)."""
    from flows.prefect_env import prefect_api_url, use_prefect_api
    from flows.prefect_server import answers, start_server

    chosen = prefect_api_url()
    if chosen:
        return chosen, None
    recorded = _recorded_server(settings)
    if recorded and answers(recorded["url"]):
        use_prefect_api(recorded["url"])
        return recorded["url"], None
    server, process = start_server(settings.data_dir / "prefect", settings.prefect_port)
    use_prefect_api(server.url)
    return server.url, process


def _recorded_server(settings: Settings) -> dict[str, Any] | None:
    path = settings.data_dir / "prefect" / SERVER_RECORD
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@server_app.command("start")
@friendly
def server_start(data_dir: DataDir = None) -> None:
    """Start the local Prefect server in the background and record where it is."""
    from flows.prefect_server import answers, start_server

    settings = _settings(data_dir)
    recorded = _recorded_server(settings)
    if recorded and answers(recorded["url"]):
        typer.echo(f"already running at {recorded['url']} (pid {recorded['pid']})")
        return
    server, _ = start_server(settings.data_dir / "prefect", settings.prefect_port, detached=True)
    server.record(settings.data_dir / "prefect" / SERVER_RECORD)
    typer.echo(f"Prefect server at {server.url} (pid {server.pid}); UI at {server.url.removesuffix('/api')}")


@server_app.command("stop")
@friendly
def server_stop(data_dir: DataDir = None) -> None:
    """Stop the local Prefect server started by `papertrend server start`."""
    from flows.prefect_server import stop_server

    settings = _settings(data_dir)
    recorded = _recorded_server(settings)
    if recorded is None:
        typer.echo("no local Prefect server is recorded")
        return
    stop_server(int(recorded["pid"]))
    (settings.data_dir / "prefect" / SERVER_RECORD).unlink(missing_ok=True)
    typer.echo(f"stopped the Prefect server at {recorded['url']}")


@server_app.command("status")
@friendly
def server_status(data_dir: DataDir = None) -> None:
    """Say whether the recorded local Prefect server answers (exit 1 when it does not)."""
    from flows.prefect_server import answers

    recorded = _recorded_server(_settings(data_dir))
    if recorded and answers(recorded["url"]):
        typer.echo(f"running at {recorded['url']} (pid {recorded['pid']})")
        return
    _fail("no local Prefect server answers", "start one with `papertrend server start`")


email_cli.register(app, friendly, _settings, _flows_with)

if __name__ == "__main__":
    app()
