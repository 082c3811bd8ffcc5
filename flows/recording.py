"""Every flow run is recorded the same way: a `runs` row, its outcome, a current phrase index, a fresh snapshot."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flows.settings import Settings
from flows.summary import IngestIncomplete, IngestSummary
from flows.term_index import refresh_term_index
from warehouse.db import connect, publish_snapshot
from warehouse.runs import finish_run, start_run


@contextmanager
def recorded_run(settings: Settings, flow: str, params: dict[str, Any], *,
                 loads: bool = True) -> Iterator[IngestSummary]:
    """Start a run row, yield the summary to fill, then record how it ended.

    A run that `loads` papers ends by indexing their key phrases.

    A crash marks the run `failed` and propagates; pages quarantined, failed or
    left unfetched mark it `incomplete` and raise IngestIncomplete once the
    snapshot is published; otherwise it is `completed`.
    """
    with connect(settings.warehouse_path) as con:
        summary = IngestSummary(run_id=start_run(con, flow, params))
    try:
        yield summary
    except BaseException as exc:
        with connect(settings.warehouse_path) as con:
            finish_run(con, summary.run_id, status="failed", counts=summary.counters(), error=repr(exc))
        raise
    with connect(settings.warehouse_path) as con:
        if loads:
            refresh_term_index(con)      # what was loaded, the weekly report will not re-read
        finish_run(con, summary.run_id, status="incomplete" if summary.incomplete else "completed",
                   counts=summary.counters(), error=summary.stopped)
    publish_snapshot(settings.warehouse_path)
    if summary.incomplete:
        raise IngestIncomplete(summary)
