"""Rebuild every extracted table from the raw archive, with no network."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from flows import progress
from flows.archive import RawArchive
from flows.pages import extract_page, truncation_reason
from flows.settings import Settings
from flows.sources import EXTRACTOR_BY_KIND
from flows.term_index import refresh_term_index
from warehouse import queries
from warehouse.db import connect, publish_snapshot
from warehouse.load import LoadCounts, PageResult, RawPage, rebuild_from_pages
from warehouse.runs import finish_run, start_run

BATCH_PAGES = 200


@dataclass(frozen=True)
class Reextracted:
    """What a rebuild produced, and how many quarantined pages still lack a loaded day."""

    counts: LoadCounts
    open_quarantine: int


def reextract(settings: Settings) -> Reextracted:
    """Re-run the extractors over every archived page, oldest fetch first, in one transaction.

    Pages that now extract leave quarantine; pages that no longer do enter it.
    Raises ArchiveMissing if a raw_pages row has no body in the archive.
    """
    archive = RawArchive(settings.raw_dir)
    with connect(settings.warehouse_path) as con:
        pages = queries.raw_pages(con)
        run_id = start_run(con, "reextract", {"pages": pages.height})
        progress.begin(pages.height, f"reextract: {pages.height} archived page(s)")
        try:
            counts = rebuild_from_pages(con, _batches(pages, archive), run_id=run_id)
        except BaseException as exc:
            finish_run(con, run_id, status="failed", counts={}, error=repr(exc))
            raise
        refresh_term_index(con)
        still_open = queries.open_quarantine_count(con)
        finish_run(con, run_id, status="incomplete" if still_open else "completed",
                   counts={**vars(counts), "pages_quarantined": still_open})
    publish_snapshot(settings.warehouse_path)
    return Reextracted(counts, still_open)


def _batches(pages: pl.DataFrame, archive: RawArchive) -> Iterator[list[PageResult]]:
    columns = [c for c in RawPage.__dataclass_fields__]
    for start in range(0, pages.height, BATCH_PAGES):
        batch = []
        for row in pages.slice(start, BATCH_PAGES).select(columns).iter_rows(named=True):
            page = RawPage(**row)
            batch.append(_result(page, archive))
        progress.advance(len(batch))
        yield batch


def _result(page: RawPage, archive: RawArchive) -> PageResult:
    body = archive.get(page.sha256)
    if page.truncated:
        return PageResult(page, error=truncation_reason(page.size))
    return extract_page(body, page, EXTRACTOR_BY_KIND[(page.source, page.kind)])
