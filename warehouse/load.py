"""Bulk, idempotent loads: raw page rows, digests, papers and sightings, one transaction per batch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import duckdb

from common.sources import ARXIV, ARXIV_API
from warehouse import phrase_index
from warehouse.db import registered
from warehouse.dedup import mark_repeats
from warehouse.frames import (
    Batch,
    PageResult,
    RawPage,
    batch_frames,
    digest_frame,
    quarantine_frame,
    raw_frame,
    utc_naive,
)
from warehouse.transactions import transaction

__all__ = [
    "EXTRACTED_TABLES",
    "LoadCounts",
    "PageResult",
    "RawPage",
    "apply_pages",
    "load_pages",
    "rebuild_from_pages",
    "utc_naive",
]

# Tables derived from the raw archive; `reextract` rebuilds exactly these.
EXTRACTED_TABLES = ("sightings", "papers", "digests", "quarantine", "observations")


@dataclass
class LoadCounts:
    """What a load changed."""

    pages_loaded: int = 0
    pages_quarantined: int = 0
    pages_repeated: int = 0  # listings identical to the previous one: recorded, not loaded
    new_papers: int = 0
    new_sightings: int = 0
    updated_sightings: int = 0  # sightings whose counts, section or listings changed
    quarantined: list[str] = field(default_factory=list)

    def add(self, other: LoadCounts) -> None:
        """Fold another batch's counts into these."""
        for name in (
            "pages_loaded",
            "pages_quarantined",
            "pages_repeated",
            "new_papers",
            "new_sightings",
            "updated_sightings",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.quarantined.extend(other.quarantined)


def load_pages(con: duckdb.DuckDBPyConnection, results: Sequence[PageResult], *, run_id: str) -> LoadCounts:
    """Load a batch of pages in one transaction and return what changed.

    Raw page rows are always kept; failed pages go to quarantine; extracted
    pages replace their digest's counts. Loading the same batch again changes
    nothing. On any error the whole batch rolls back.
    """
    with transaction(con):
        return apply_pages(con, results, run_id=run_id)


def rebuild_from_pages(
    con: duckdb.DuckDBPyConnection, batches: Iterable[Sequence[PageResult]], *, run_id: str
) -> LoadCounts:
    """Replace every extracted table with what `batches` yield, in one transaction."""
    total = LoadCounts()
    with transaction(con):
        con.execute(_sql("clear_extracted_tables"))
        for batch in batches:
            total.add(apply_pages(con, batch, run_id=run_id))
    return total


def apply_pages(con: duckdb.DuckDBPyConnection, results: Sequence[PageResult], *, run_id: str) -> LoadCounts:
    """The body of a load, inside the caller's transaction."""
    good = [r for r in results if r.error is None]
    bad = [r for r in results if r.error is not None]
    digests = mark_repeats(con, good)
    fresh = [d.result for d in digests if d.repeat_of is None]
    batch = batch_frames([(r.page, rec) for r in fresh for rec in r.records])
    if results:
        with registered(con, incoming_raw_pages=raw_frame([r.page for r in results])):
            con.execute(_sql("insert_raw_pages"), {"run_id": run_id})
    if bad:
        with registered(con, incoming_quarantine=quarantine_frame(bad)):
            con.execute(_sql("insert_quarantine"))
    if digests:
        with registered(con, incoming_digests=digest_frame(digests)):
            con.execute(_sql("upsert_digests"))
    counts = LoadCounts() if batch.sightings.is_empty() else _load_sightings_and_papers(con, batch)
    counts.pages_loaded, counts.pages_quarantined = len(good), len(bad)
    counts.pages_repeated = len(digests) - len(fresh)
    counts.quarantined = [f"{r.page.url} ({r.error})" for r in bad]
    return counts


def _load_sightings_and_papers(con: duckdb.DuckDBPyConnection, batch: Batch) -> LoadCounts:
    # Plan first (merges, repeats, counts), then write: sightings before papers, whose digest
    # dates are computed from the sightings as stored after this load.
    with registered(
        con, incoming_sightings=batch.sightings, incoming_papers=batch.papers, incoming_observations=batch.observations
    ):
        con.execute(_sql("plan_sightings"), {"arxiv": ARXIV})
        new_papers, new_sightings, updated_sightings = con.execute(_sql("count_changes")).fetchall()[0]
        con.execute(_sql("delete_superseded_sightings"))
        con.execute(_sql("insert_new_sightings"))
        con.execute(_sql("update_changed_sightings"))
        con.execute(_sql("drop_sighting_plan"))
        con.execute(_sql("upsert_papers"), {"arxiv_api": ARXIV_API})
        con.execute(_sql("insert_observations"))
    phrase_index.mark_changed_texts_stale(con, batch.papers["arxiv_id"])
    return LoadCounts(new_papers=new_papers, new_sightings=new_sightings, updated_sightings=updated_sightings)


@cache
def _sql(name: str) -> str:
    # One statement per file in warehouse/sql, each opening with what it does and why.
    return (resources.files("warehouse") / "sql" / f"{name}.sql").read_text()
