"""Every flow run is recorded the same way: a `runs` row, its counts and outcome, a fresh snapshot.

Kept free of Prefect, so the shell can import it cheaply.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from common.errors import PapertrendError
from common.names import RunStatus
from flows.indexing import refresh_phrase_index
from flows.prefect_env import served_run_id, test_submit_delay
from flows.settings import Settings
from reports.errors import NothingToReport
from warehouse import queries, snapshots
from warehouse.audience_counts import refresh_audience_counts
from warehouse.db import checkpoint, connect
from warehouse.load import LoadCounts
from warehouse.paths import search_index_path, snapshot_path
from warehouse.runs import RunCounts, finish_run, start_run
from warehouse.search_index import refresh_search_index

log = logging.getLogger("papertrend.run")


@dataclass
class RunSummary(RunCounts):
    """What a flow run did: its counts (RunCounts, as stored in `runs`), plus the pages that need a look."""

    run_id: str = ""
    quarantined: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (a host told us to stop)
    stopped_hosts: set[str] = field(default_factory=set)

    @property
    def incomplete(self) -> bool:
        return bool(self.pages_quarantined or self.pages_failed or self.days_unfetched)

    def add(self, other: RunSummary) -> None:
        """Fold a batch's summary into the run's (days requested and skipped are the run's own)."""
        self.stopped = self.stopped or other.stopped
        self.stopped_hosts |= other.stopped_hosts
        for name, value in other.counters().items():
            if name not in ("days_requested", "days_skipped"):
                setattr(self, name, getattr(self, name) + value)
        self.quarantined += other.quarantined
        self.failed += other.failed

    def add_load(self, counts: LoadCounts) -> None:
        """Fold what a load changed into the run's counts."""
        self.new_papers += counts.new_papers
        self.new_sightings += counts.new_sightings
        self.updated_sightings += counts.updated_sightings


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM): it unwinds like Ctrl-C, recording what it was doing."""


class RunError(PapertrendError):
    """A flow run ended without doing all it was asked to."""


class RunIncomplete(RunError):
    """Some pages were quarantined or could not be fetched; the rest loaded."""

    def __init__(self, summary: RunSummary) -> None:
        lines = [f"  quarantined: {q}" for q in summary.quarantined] + [f"  failed: {f}" for f in summary.failed]
        if summary.stopped:
            lines.append(
                f"  stopped: {summary.stopped}; {summary.days_unfetched} day(s) not fetched, "
                "run again later (loaded days are skipped)"
            )
        super().__init__(
            f"{summary.pages_quarantined} page(s) quarantined, {summary.pages_failed} failed, "
            f"{summary.days_unfetched} not fetched (the other days loaded; see `papertrend status`):\n"
            + "\n".join(lines)
        )
        self.summary = summary


# Work a run does on the connection that records its start or its end (see recorded_run).
RunStep = Callable[[duckdb.DuckDBPyConnection, RunSummary], None]


@contextmanager
def recorded_run(
    settings: Settings,
    flow: str,
    params: dict[str, Any],
    *,
    loads: bool = True,
    raise_incomplete: bool = True,
    on_start: RunStep | None = None,
    on_finish: RunStep | None = None,
) -> Iterator[RunSummary]:
    """Start a run row, yield the summary to fill, then record how it ended.

    A run that `loads` papers ends by indexing their key phrases. Ctrl-C or
    SIGTERM marks the run `interrupted`, any other crash `failed`; both propagate; pages quarantined, failed or left unfetched
    mark it `incomplete` (and raise RunIncomplete once the snapshot is
    published, unless `raise_incomplete` is off); otherwise it is `completed`.

    The warehouse is opened for writing once at each end: `on_start` reads
    what the run needs on the connection that then records the start (a
    failure there records nothing), `on_finish` takes a last look on the one
    that records the end, indexes and publishes the snapshot.
    """
    with connect(settings.warehouse_path) as con:
        summary = RunSummary()
        if on_start is not None:
            on_start(con, summary)
        summary.run_id = start_run(con, flow, params, host=socket.gethostname(), pid=os.getpid())
        if not snapshot_path(settings.warehouse_path).exists():
            _publish(con, settings.warehouse_path)  # readers of a first load see an empty warehouse, not none
    try:
        yield summary
    except BaseException as exc:
        with signals_held(), connect(settings.warehouse_path) as con:
            _record_stopped(con, summary, exc)
        raise
    with connect(settings.warehouse_path) as con:
        try:
            if on_finish is not None:
                on_finish(con, summary)
        except BaseException as exc:
            with signals_held():
                _record_stopped(con, summary, exc)
            raise
        if loads:
            refresh_phrase_index(con)  # what was loaded, the weekly report will not re-read
        finish_run(
            con,
            summary.run_id,
            status=RunStatus.INCOMPLETE if summary.incomplete else RunStatus.COMPLETED,
            counts=summary,
            error=summary.stopped,
        )
        _publish(con, settings.warehouse_path)
    if summary.incomplete and raise_incomplete:
        raise RunIncomplete(summary)


def _record_stopped(con: duckdb.DuckDBPyConnection, summary: RunSummary, exc: BaseException) -> None:
    status, error = (RunStatus.INTERRUPTED, stop_reason(exc)) if stop_reason(exc) else (RunStatus.FAILED, repr(exc))
    finish_run(con, summary.run_id, status=status, counts=summary, error=error)


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (they are delivered after it).

    Recording how a run ended must not be cut short by a second signal: Prefect
    turns SIGTERM into its own exception, then re-sends the signal to us.
    """
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def stop_reason(exc: BaseException) -> str | None:
    """SIGINT or SIGTERM (the name) when `exc` is a person or a supervisor stopping the process, else None."""
    if isinstance(exc, Terminated):
        return "SIGTERM"
    if isinstance(exc, KeyboardInterrupt):
        return "SIGINT"
    # Inside a flow run Prefect turns SIGTERM into its own TerminationSignal (then re-sends it to us).
    if type(exc).__name__ == "TerminationSignal":
        return "SIGTERM"
    return None


def publish_snapshot(settings: Settings, *, recount: bool = False, lock_wait: float | None = None) -> Path:
    """Copy the warehouse to its read-only snapshot atomically, for readers while a flow writes; with
    `recount` (who changed the audience), first refresh audience_counts from the audience store, which no
    other run opens. Raises WarehouseLocked when another writer holds the warehouse over `lock_wait`."""
    with connect(settings.warehouse_path, lock_wait=lock_wait) as con:
        if recount:
            refresh_audience_counts(con, settings.audience_path)
        return _publish(con, settings.warehouse_path)


def _publish(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    # The search index follows the papers the snapshot is about to show (new or changed ones only).
    indexed = refresh_search_index(con, search_index_path(path))
    if indexed:
        log.info("search index: %d paper(s) indexed", indexed)
    # Checkpointed and still held open by us: nobody changes the file while it is published.
    checkpoint(con)
    published = snapshots.publish(path, snapshot_path(path))
    log.info(
        "snapshot published: %s, %s of %s written%s",
        published.path.name,
        _megabytes(published.bytes_written),
        _megabytes(published.size),
        " (a full copy: no older version was free)" if published.full_copy else "",
    )
    return snapshot_path(path)


def _megabytes(count: int) -> str:
    return f"{count / 1e6:,.1f} MB"


def run_name(template: str, **defaults: str | Callable[[], str]) -> Callable[[], str]:
    """A Prefect run name saying what a run covers, e.g. 'ingest {day}' -> 'ingest 2026-05-04'.

    A parameter left unset (None) is named by `defaults`: a word ("latest"), or
    a function saying what the run will cover (a scheduled ingest: today's date).
    """

    def name() -> str:
        from prefect.runtime import flow_run

        given = {k: v for k, v in flow_run.parameters.items() if v is not None}
        missing = {k: v() if callable(v) else v for k, v in defaults.items() if k not in given}
        return template.format(**(missing | given))

    return name


def newest_digest_day(settings: Settings) -> date:
    """The newest digest date loaded; raises NothingToReport when there is no warehouse or no paper yet."""
    if not settings.warehouse_path.exists():
        raise NothingToReport(
            f"no warehouse at {settings.warehouse_path}; run `papertrend ingest` or `papertrend demo`"
        )
    with connect(settings.warehouse_path) as con:
        newest = queries.newest_digest_date(con)
    if newest is None:
        raise NothingToReport(f"the warehouse at {settings.warehouse_path} holds no papers yet")
    return newest


def _join_serve() -> None:
    # A run's own process, started by `serve` (its runner imports the flow module, hence this one, before
    # the run starts), ends with serve however serve ends: a run left behind would hold its deployment's slot.
    if served_run_id() is None:
        return
    from flows.prefect_server import die_with_parent

    die_with_parent()
    if os.getppid() == 1:  # serve was gone before we could ask
        raise SystemExit(1)
    time.sleep(test_submit_delay())


_join_serve()
