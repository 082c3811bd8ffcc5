"""Bulk, idempotent loads: raw page rows, digests, papers and sightings, one transaction per batch."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import duckdb
import polars as pl

from extractors.records import PaperRecord
from warehouse.db import transaction


@dataclass(frozen=True)
class RawPage:
    """One fetched body as kept in the raw archive (a `raw_pages` row)."""

    url: str
    sha256: str
    source: str
    kind: str
    digest_date: date
    status: int
    fetched_at: datetime
    size: int
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    truncated: bool = False


@dataclass(frozen=True)
class PageResult:
    """A raw page and what extraction made of it: records, or the reason it failed."""

    page: RawPage
    records: Sequence[PaperRecord] = ()
    error: str | None = None


@dataclass
class LoadCounts:
    """What a load changed."""

    pages_loaded: int = 0
    pages_quarantined: int = 0
    new_papers: int = 0
    new_sightings: int = 0
    updated_sightings: int = 0      # sightings whose counts (rank, upvotes, comments, ...) changed
    quarantined: list[str] = field(default_factory=list)

    def add(self, other: "LoadCounts") -> None:
        for name in ("pages_loaded", "pages_quarantined", "new_papers", "new_sightings", "updated_sightings"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.quarantined.extend(other.quarantined)


# Tables derived from the raw archive; `reextract` rebuilds exactly these.
EXTRACTED_TABLES = ("sightings", "papers", "digests", "quarantine")

_RAW_SCHEMA = {
    "url": pl.String, "sha256": pl.String, "source": pl.String, "kind": pl.String,
    "digest_date": pl.Date, "status": pl.Int32, "fetched_at": pl.Datetime("us"), "size": pl.Int64,
    "content_type": pl.String, "etag": pl.String, "last_modified": pl.String, "truncated": pl.Boolean,
}
_SIGHTING_SCHEMA = {
    "arxiv_id": pl.String, "source": pl.String, "digest_date": pl.Date, "rank": pl.Int32,
    "upvotes": pl.Int32, "comments": pl.Int32, "submitter": pl.String, "listed_at": pl.Datetime("us"),
    "observed_at": pl.Datetime("us"), "raw_sha256": pl.String,
}
_PAPER_SCHEMA = {
    "arxiv_id": pl.String, "version": pl.Int32, "title": pl.String, "abstract": pl.String,
    "authors": pl.List(pl.String), "published_at": pl.Datetime("us"), "github_repo": pl.String,
    "github_stars": pl.Int32, "project_page": pl.String, "ai_keywords": pl.List(pl.String),
    "organization": pl.String, "digest_date": pl.Date, "observed_at": pl.Datetime("us"),
}
# Paper attributes: the newest observation that has a value wins.
_PAPER_ATTRIBUTES = [c for c in _PAPER_SCHEMA if c not in ("arxiv_id", "digest_date", "observed_at")]


def utc_naive(moment: datetime | None) -> datetime | None:
    """Timestamps are stored as naive UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


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
    sightings, papers = _frames([(r.page, rec) for r in good for rec in r.records])
    _insert_raw_pages(con, [r.page for r in results], run_id=run_id)
    _insert_quarantine(con, bad)
    _upsert_digests(con, good)
    counts = _upsert_sightings_and_papers(con, sightings, papers)
    counts.pages_loaded = len(good)
    counts.pages_quarantined = len(bad)
    counts.quarantined = [f"{r.page.url} ({r.error})" for r in bad]
    return counts


def _frames(pairs: list[tuple[RawPage, PaperRecord]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    sightings = pl.DataFrame(
        {
            "arxiv_id": [r.arxiv_id for _, r in pairs], "source": [r.source for _, r in pairs],
            "digest_date": [r.digest_date for _, r in pairs], "rank": [r.rank for _, r in pairs],
            "upvotes": [r.upvotes for _, r in pairs], "comments": [r.comments for _, r in pairs],
            "submitter": [r.submitter for _, r in pairs],
            "listed_at": [utc_naive(r.listed_at) for _, r in pairs],
            "observed_at": [utc_naive(r.observed_at) for _, r in pairs],
            "raw_sha256": [p.sha256 for p, _ in pairs],
        },
        schema=_SIGHTING_SCHEMA,
    )
    papers = pl.DataFrame(
        {
            "arxiv_id": [r.arxiv_id for _, r in pairs], "version": [r.version for _, r in pairs],
            "title": [r.title for _, r in pairs], "abstract": [r.abstract for _, r in pairs],
            "authors": [list(r.authors) or None for _, r in pairs],
            "published_at": [utc_naive(r.published_at) for _, r in pairs],
            "github_repo": [r.github_repo for _, r in pairs], "github_stars": [r.github_stars for _, r in pairs],
            "project_page": [r.project_page for _, r in pairs],
            "ai_keywords": [list(r.ai_keywords) or None for _, r in pairs],
            "organization": [r.organization for _, r in pairs],
            "digest_date": [r.digest_date for _, r in pairs],
            "observed_at": [utc_naive(r.observed_at) for _, r in pairs],
        },
        schema=_PAPER_SCHEMA,
    )
    # Within one batch a key may occur twice (a page listing a paper twice, or
    # two fetches of one day): keep the newest observation, best rank first.
    order = ["observed_at", "digest_date"]
    key = ["arxiv_id", "source", "digest_date"]
    sightings = (sightings.sort([*order, "rank"], descending=[False, False, True])
                 .with_columns(pl.col("observed_at").min().over(key).alias("first_observed_at"))
                 .unique(key, keep="last", maintain_order=True))
    papers = _merge_paper_observations(papers.sort(order))
    return sightings, papers


def _merge_paper_observations(papers: pl.DataFrame) -> pl.DataFrame:
    # One row per paper: newest non-null attribute, first and last digest dates.
    return papers.group_by("arxiv_id", maintain_order=True).agg(
        *[pl.col(c).drop_nulls().last() for c in _PAPER_ATTRIBUTES],
        pl.col("digest_date").min().alias("first_digest_date"),
        pl.col("digest_date").max().alias("last_digest_date"),
        pl.col("observed_at").max(),
    )


def _insert_raw_pages(con: duckdb.DuckDBPyConnection, pages: Sequence[RawPage], *, run_id: str) -> None:
    if not pages:
        return
    frame = pl.DataFrame([_raw_row(p) for p in pages], schema=_RAW_SCHEMA).unique(["url", "sha256"])
    with registered(con, incoming_raw=frame):
        con.execute("""INSERT INTO raw_pages BY NAME
                       SELECT *, $run_id AS run_id FROM incoming_raw
                       ON CONFLICT DO NOTHING""", {"run_id": run_id})


def _raw_row(page: RawPage) -> dict:
    row = {name: getattr(page, name) for name in _RAW_SCHEMA}
    row["fetched_at"] = utc_naive(page.fetched_at)
    return row


def _insert_quarantine(con: duckdb.DuckDBPyConnection, bad: Sequence[PageResult]) -> None:
    if not bad:
        return
    frame = pl.DataFrame(
        {"url": [r.page.url for r in bad], "sha256": [r.page.sha256 for r in bad],
         "source": [r.page.source for r in bad], "digest_date": [r.page.digest_date for r in bad],
         "error": [r.error for r in bad], "fetched_at": [utc_naive(r.page.fetched_at) for r in bad]},
        schema={"url": pl.String, "sha256": pl.String, "source": pl.String, "digest_date": pl.Date,
                "error": pl.String, "fetched_at": pl.Datetime("us")},
    ).unique(["url", "sha256"], keep="last")
    with registered(con, incoming_quarantine=frame):
        con.execute("INSERT INTO quarantine BY NAME SELECT * FROM incoming_quarantine ON CONFLICT DO NOTHING")


def _upsert_digests(con: duckdb.DuckDBPyConnection, good: Sequence[PageResult]) -> None:
    if not good:
        return
    frame = pl.DataFrame(
        {"source": [r.page.source for r in good], "digest_date": [r.page.digest_date for r in good],
         "kind": [r.page.kind for r in good], "url": [r.page.url for r in good],
         "sha256": [r.page.sha256 for r in good], "entries": [len(r.records) for r in good],
         "fetched_at": [utc_naive(r.page.fetched_at) for r in good]},
        schema={"source": pl.String, "digest_date": pl.Date, "kind": pl.String, "url": pl.String,
                "sha256": pl.String, "entries": pl.Int32, "fetched_at": pl.Datetime("us")},
    ).sort("fetched_at").unique(["source", "digest_date"], keep="last")
    with registered(con, incoming_digests=frame):
        con.execute("""INSERT INTO digests BY NAME SELECT * FROM incoming_digests
                       ON CONFLICT DO UPDATE SET kind = excluded.kind, url = excluded.url,
                           sha256 = excluded.sha256, entries = excluded.entries,
                           fetched_at = excluded.fetched_at
                       WHERE excluded.fetched_at >= digests.fetched_at
                         AND excluded.sha256 <> digests.sha256""")


def _upsert_sightings_and_papers(con: duckdb.DuckDBPyConnection, sightings: pl.DataFrame,
                                 papers: pl.DataFrame) -> LoadCounts:
    counts = LoadCounts()
    if sightings.is_empty():
        return counts
    with registered(con, incoming_sightings=sightings, incoming_papers=papers):
        counts.new_papers = _scalar(con, "SELECT count(*) FROM incoming_papers ANTI JOIN papers USING (arxiv_id)")
        counts.new_sightings = _scalar(con, """SELECT count(*) FROM incoming_sightings
                                               ANTI JOIN sightings USING (arxiv_id, source, digest_date)""")
        counts.updated_sightings = _scalar(con, f"""SELECT count(*) FROM incoming_sightings i
            JOIN sightings s USING (arxiv_id, source, digest_date) WHERE {_sighting_changed("i", "s", _SIGHTING_COUNTS)}""")
        con.execute(_UPSERT_PAPERS)
        con.execute(_UPSERT_SIGHTINGS)
    return counts


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Expose polars frames to SQL by name for the block (zero-copy through Arrow)."""
    for name, frame in frames.items():
        con.register(name, frame)
    yield
    # Not in a finally: an aborted transaction refuses unregister, and a later
    # register of the same name replaces the view anyway.
    for name in frames:
        con.unregister(name)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


_SIGHTING_COUNTS = ("rank", "upvotes", "comments", "submitter", "listed_at")


def _sighting_changed(new: str, old: str, columns: tuple[str, ...] = (*_SIGHTING_COUNTS, "raw_sha256")) -> str:
    # A newer observation replaces the row; an older or identical one changes nothing.
    return (f"{new}.observed_at >= {old}.observed_at AND "
            f"({', '.join(f'{new}.{c}' for c in columns)}) IS DISTINCT FROM "
            f"({', '.join(f'{old}.{c}' for c in columns)})")


_UPSERT_SIGHTINGS = f"""
INSERT INTO sightings BY NAME
SELECT * FROM incoming_sightings
ON CONFLICT DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c in (*_SIGHTING_COUNTS, "raw_sha256", "observed_at"))},
    first_observed_at = least(sightings.first_observed_at, excluded.first_observed_at)
WHERE {_sighting_changed("excluded", "sightings")}
"""

_NEWER = "excluded.observed_at >= papers.observed_at"
_UPSERT_PAPERS = f"""
INSERT INTO papers BY NAME SELECT * FROM incoming_papers
ON CONFLICT DO UPDATE SET
    {", ".join(f"{c} = CASE WHEN {_NEWER} THEN coalesce(excluded.{c}, papers.{c}) ELSE coalesce(papers.{c}, excluded.{c}) END"
               for c in _PAPER_ATTRIBUTES)},
    first_digest_date = least(papers.first_digest_date, excluded.first_digest_date),
    last_digest_date = greatest(papers.last_digest_date, excluded.last_digest_date),
    observed_at = greatest(papers.observed_at, excluded.observed_at)
"""
