"""Bulk, idempotent loads: raw page rows, digests, papers and sightings, one transaction per batch."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
import polars as pl

from warehouse import phrase_index
from warehouse.db import registered, transaction
from warehouse.dedup import mark_repeats
from warehouse.frames import (PAPER_ATTRIBUTES, SECTION_PRIORITY, Batch, PageResult, RawPage, batch_frames,
                              digest_frame, quarantine_frame, raw_frame, utc_naive)

__all__ = ["EXTRACTED_TABLES", "LoadCounts", "PageResult", "RawPage", "apply_pages", "load_pages",
           "rebuild_from_pages", "utc_naive"]

# Tables derived from the raw archive; `reextract` rebuilds exactly these.
EXTRACTED_TABLES = ("sightings", "papers", "digests", "quarantine", "observations")


@dataclass
class LoadCounts:
    """What a load changed."""

    pages_loaded: int = 0
    pages_quarantined: int = 0
    pages_repeated: int = 0         # listings identical to the previous one: recorded, not loaded
    new_papers: int = 0
    new_sightings: int = 0
    updated_sightings: int = 0      # sightings whose counts, section or listings changed
    quarantined: list[str] = field(default_factory=list)

    def add(self, other: "LoadCounts") -> None:
        """Fold another batch's counts into these."""
        for name in ("pages_loaded", "pages_quarantined", "pages_repeated", "new_papers", "new_sightings",
                     "updated_sightings"):
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


def rebuild_from_pages(con: duckdb.DuckDBPyConnection, batches: Iterable[Sequence[PageResult]],
                       *, run_id: str) -> LoadCounts:
    """Replace every extracted table with what `batches` yield, in one transaction."""
    total = LoadCounts()
    with transaction(con):
        for table in EXTRACTED_TABLES:
            con.execute(f"DELETE FROM {table}")
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
        _insert(con, "raw_pages", raw_frame([r.page for r in results]), extra={"run_id": run_id})
    if bad:
        _insert(con, "quarantine", quarantine_frame(bad))
    if digests:
        _upsert_digests(con, digest_frame(digests))
    counts = _upsert_sightings_and_papers(con, batch)
    if not batch.observations.is_empty():
        _insert(con, "observations", batch.observations)
    if not batch.papers.is_empty():
        with registered(con, incoming_papers=batch.papers):
            counts.new_sightings -= len(con.execute(_DROP_LATER_NEW).fetchall())
            con.execute(_DIGEST_DATES)
        phrase_index.mark_changed_texts_stale(con, batch.papers["arxiv_id"])
    counts.pages_loaded, counts.pages_quarantined = len(good), len(bad)
    counts.pages_repeated = len(digests) - len(fresh)
    counts.quarantined = [f"{r.page.url} ({r.error})" for r in bad]
    return counts


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame,
            extra: dict[str, str] | None = None) -> None:
    constants = "".join(f", ${name} AS {name}" for name in extra or {})
    with registered(con, incoming=frame):
        con.execute(f"INSERT INTO {table} BY NAME SELECT *{constants} FROM incoming ON CONFLICT DO NOTHING",
                    extra or {})


def _upsert_digests(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    with registered(con, incoming_digests=frame):
        con.execute("""INSERT INTO digests BY NAME SELECT * FROM incoming_digests
                       ON CONFLICT DO UPDATE SET kind = excluded.kind, url = excluded.url,
                           sha256 = excluded.sha256, entries = excluded.entries,
                           fetched_at = excluded.fetched_at, content_hash = excluded.content_hash,
                           repeat_of = excluded.repeat_of
                       WHERE excluded.fetched_at > digests.fetched_at""")


def _upsert_sightings_and_papers(con: duckdb.DuckDBPyConnection, batch: Batch) -> LoadCounts:
    counts = LoadCounts()
    if batch.sightings.is_empty():
        return counts
    with registered(con, incoming_sightings=batch.sightings, incoming_papers=batch.papers):
        counts.new_papers = _scalar(con, "SELECT count(*) FROM incoming_papers ANTI JOIN papers USING (arxiv_id)")
        counts.new_sightings = _scalar(con, """SELECT count(*) FROM incoming_sightings
                                               ANTI JOIN sightings USING (arxiv_id, source, digest_date)""")
        counts.updated_sightings = _scalar(con, f"""SELECT count(*) FROM incoming_sightings i
            JOIN sightings s USING (arxiv_id, source, digest_date)
            WHERE {_sighting_changed("i", "s", _SIGHTING_COUNTS)}""")
        con.execute(_UPSERT_PAPERS)
        con.execute(_UPSERT_SIGHTINGS)
    return counts


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


_SIGHTING_COUNTS = ("rank", "upvotes", "comments", "submitter", "listed_at")
_PRIORITY = "[" + ", ".join(f"'{s}'" for s in SECTION_PRIORITY) + "]"


def _best_section(new: str, old: str) -> str:
    # The strongest section of the two (new > cross > replacement > none).
    rank = "coalesce(list_position({list}, {x}), 99)"
    return (f"CASE WHEN {rank.format(list=_PRIORITY, x=f'{new}.section')} <= "
            f"{rank.format(list=_PRIORITY, x=f'{old}.section')} THEN {new}.section ELSE {old}.section END")


def _all_listings(new: str, old: str) -> str:
    merged = f"list_sort(list_distinct(list_concat(coalesce({old}.listings, []), coalesce({new}.listings, []))))"
    return f"CASE WHEN len({merged}) > 0 THEN {merged} END"


def _sighting_changed(new: str, old: str, columns: tuple[str, ...] | None = None) -> str:
    # A newer observation replaces the counts and the observation time (the same
    # one again changes nothing); section and listings merge whatever the order.
    # With `columns`, "changed" means those columns differ (what the counts report).
    newer = f"{new}.observed_at > {old}.observed_at"
    if columns:
        newer = (f"{new}.observed_at >= {old}.observed_at AND "
                 f"({', '.join(f'{new}.{c}' for c in columns)}) IS DISTINCT FROM "
                 f"({', '.join(f'{old}.{c}' for c in columns)})")
    return (f"({newer}) OR ({_best_section(new, old)}) IS DISTINCT FROM {old}.section "
            f"OR ({_all_listings(new, old)}) IS DISTINCT FROM {old}.listings")


_NEWER_SIGHTING = "excluded.observed_at > sightings.observed_at"
_UPSERT_SIGHTINGS = f"""
INSERT INTO sightings BY NAME SELECT * FROM incoming_sightings
ON CONFLICT DO UPDATE SET
    {", ".join(f"{c} = CASE WHEN {_NEWER_SIGHTING} THEN excluded.{c} ELSE sightings.{c} END"
               for c in (*_SIGHTING_COUNTS, "raw_sha256", "observed_at"))},
    section = {_best_section("excluded", "sightings")},
    listings = {_all_listings("excluded", "sightings")},
    first_observed_at = least(sightings.first_observed_at, excluded.first_observed_at)
WHERE {_sighting_changed("excluded", "sightings")}
"""

# A paper is a new submission on arXiv once: a later "new" sighting of it is a
# repeated announcement (identical listings are caught earlier, by content hash;
# this catches the rest, whatever order pages load in).
_DROP_LATER_NEW = """
DELETE FROM sightings s
WHERE s.source = 'arxiv' AND s.section = 'new'
  AND s.arxiv_id IN (SELECT arxiv_id FROM incoming_papers)
  AND EXISTS (SELECT 1 FROM sightings e WHERE e.arxiv_id = s.arxiv_id AND e.source = 'arxiv'
                                          AND e.section = 'new' AND e.digest_date < s.digest_date)
RETURNING 1
"""

# A paper's first/last digest dates come from digests (HF days, arXiv listings);
# API results only date papers that no digest has listed yet.
_DIGEST_DATES = """
UPDATE papers SET first_digest_date = d.first, last_digest_date = d.last
FROM (SELECT arxiv_id,
             coalesce(min(digest_date) FILTER (WHERE source <> 'arxiv-api'), min(digest_date)) AS first,
             coalesce(max(digest_date) FILTER (WHERE source <> 'arxiv-api'), max(digest_date)) AS last
      FROM sightings WHERE arxiv_id IN (SELECT arxiv_id FROM incoming_papers) GROUP BY arxiv_id) d
WHERE papers.arxiv_id = d.arxiv_id
  AND (papers.first_digest_date, papers.last_digest_date) IS DISTINCT FROM (d.first, d.last)
"""

_NEWER = "excluded.observed_at >= papers.observed_at"
_UPSERT_PAPERS = f"""
INSERT INTO papers BY NAME SELECT * FROM incoming_papers
ON CONFLICT DO UPDATE SET
    {", ".join(f"{c} = CASE WHEN {_NEWER} THEN coalesce(excluded.{c}, papers.{c}) ELSE coalesce(papers.{c}, excluded.{c}) END"
               for c in PAPER_ATTRIBUTES)},
    first_digest_date = least(papers.first_digest_date, excluded.first_digest_date),
    last_digest_date = greatest(papers.last_digest_date, excluded.last_digest_date),
    observed_at = greatest(papers.observed_at, excluded.observed_at)
"""
