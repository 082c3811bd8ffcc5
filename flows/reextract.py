"""The `reextract` flow: rebuild every extracted table from the raw archive, with no network."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl
from prefect import flow

from flows import progress
from flows.archive import ArchiveCorrupt, RawArchive
from flows.day import extract_page, truncation_reason
from flows.digests import EXTRACTOR_BY_KIND
from flows.run import recorded_run
from flows.settings import run_settings
from warehouse import queries
from warehouse.db import connect
from warehouse.load import LoadCounts, PageResult, RawPage, rebuild_from_pages

BATCH_PAGES = 200
log = logging.getLogger("papertrend.reextract")


@dataclass(frozen=True)
class Reextracted:
    """What a rebuild produced, and how many quarantined pages still lack a loaded day."""

    counts: LoadCounts
    open_quarantine: int
    damaged: list[str] = field(default_factory=list)  # sha256 of bodies set aside as damaged


@flow(name="reextract", validate_parameters=False)
def reextract() -> Reextracted:
    """Re-run the extractors over every archived page, oldest fetch first, in one transaction.

    Pages that now extract leave quarantine; pages that no longer do enter it, and
    so do damaged bodies (ArchiveCorrupt), which are set aside in <raw>/corrupt/.
    Raises ArchiveMissing if a raw_pages row has no body in the archive.
    """
    settings = run_settings()
    archive = RawArchive(settings.raw_dir)
    with connect(settings.warehouse_path) as con:
        pages = queries.raw_pages(con)
    damaged: list[str] = []
    with recorded_run(settings, "reextract", {"pages": pages.height}, raise_incomplete=False) as summary:
        progress.begin(pages.height, f"reextract: {pages.height} archived page(s)")
        with connect(settings.warehouse_path) as con:
            counts = rebuild_from_pages(con, _batches(pages, archive, damaged), run_id=summary.run_id)
            still_open = queries.open_quarantine_count(con)
        # Nothing is fetched: the counts say what the rebuild holds, and what is still quarantined.
        summary.new_papers, summary.new_sightings = counts.new_papers, counts.new_sightings
        summary.updated_sightings, summary.pages_quarantined = counts.updated_sightings, still_open
    return Reextracted(counts, still_open, damaged)


def _batches(pages: pl.DataFrame, archive: RawArchive, damaged: list[str]) -> Iterator[list[PageResult]]:
    columns = list(RawPage.__dataclass_fields__)
    for start in range(0, pages.height, BATCH_PAGES):
        batch = [
            _result(RawPage(**row), archive, damaged)
            for row in pages.slice(start, BATCH_PAGES).select(columns).iter_rows(named=True)
        ]
        progress.advance(len(batch))
        yield batch


def _result(page: RawPage, archive: RawArchive, damaged: list[str]) -> PageResult:
    try:
        body = archive.get(page.sha256)
    except ArchiveCorrupt as exc:
        # Quarantined like a page that does not extract, and the rest rebuilt; re-fetching the day stores it again.
        if archive.path_for(page.sha256).exists():
            archive.set_aside(page.sha256)
        log.info("reextract: %s; quarantined", exc)
        damaged.append(page.sha256)
        return PageResult(page, error=f"ArchiveCorrupt: {exc}")
    if page.truncated:
        return PageResult(page, error=truncation_reason(page.size))
    return extract_page(body, page, EXTRACTOR_BY_KIND[(page.source, page.kind)])
