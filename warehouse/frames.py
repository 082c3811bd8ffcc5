"""Records to polars frames, one row per warehouse key, ready for a bulk upsert."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from polars._typing import PolarsDataType

from common.records import PaperRecord


@dataclass(frozen=True)
class RawPage:
    """One fetched body as kept in the raw archive (a `raw_pages` row)."""

    url: str
    sha256: str
    source: str
    kind: str
    digest_date: date  # the day asked for (arXiv pages: the day fetched)
    status: int
    fetched_at: datetime
    size: int
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    truncated: bool = False
    listing: str = ""  # arXiv: the category of a /new page


@dataclass(frozen=True)
class PageResult:
    """A raw page and what extraction made of it: records, or the reason it failed."""

    page: RawPage
    records: Sequence[PaperRecord] = ()
    error: str | None = None
    digest_date: date | None = None  # the page's own date when it states one (arXiv announcements)

    @property
    def day(self) -> date:
        """The digest date this page holds: its own stated date, else the day asked for."""
        return self.digest_date or self.page.digest_date


@dataclass
class Batch:
    """A batch's records as frames: one row per sighting key and one per paper, and every observation."""

    sightings: pl.DataFrame
    papers: pl.DataFrame
    observations: pl.DataFrame


def utc_naive(moment: datetime | None) -> datetime | None:
    """Timestamps are stored as naive UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _listed(values: tuple[str, ...]) -> list[str] | None:
    return list(values) or None


Column = tuple[PolarsDataType, Callable[[RawPage, PaperRecord], Any]]
SIGHTING_COLUMNS: dict[str, Column] = {
    "arxiv_id": (pl.String, lambda p, r: r.arxiv_id),
    "source": (pl.String, lambda p, r: r.source),
    "digest_date": (pl.Date, lambda p, r: r.digest_date),
    "rank": (pl.Int32, lambda p, r: r.rank),
    "upvotes": (pl.Int32, lambda p, r: r.upvotes),
    "comments": (pl.Int32, lambda p, r: r.comments),
    "submitter": (pl.String, lambda p, r: r.submitter),
    "listed_at": (pl.Datetime("us"), lambda p, r: utc_naive(r.listed_at)),
    "observed_at": (pl.Datetime("us"), lambda p, r: utc_naive(r.observed_at)),
    "raw_sha256": (pl.String, lambda p, r: p.sha256),
    "section": (pl.String, lambda p, r: r.section),
    "listings": (pl.List(pl.String), lambda p, r: _listed(r.listings)),
}
PAPER_COLUMNS: dict[str, Column] = {
    "arxiv_id": (pl.String, lambda p, r: r.arxiv_id),
    "version": (pl.Int32, lambda p, r: r.version),
    "title": (pl.String, lambda p, r: r.title),
    "abstract": (pl.String, lambda p, r: r.abstract),
    "authors": (pl.List(pl.String), lambda p, r: _listed(r.authors)),
    "published_at": (pl.Datetime("us"), lambda p, r: utc_naive(r.published_at)),
    "updated_at": (pl.Datetime("us"), lambda p, r: utc_naive(r.updated_at)),
    "github_repo": (pl.String, lambda p, r: r.github_repo),
    "github_stars": (pl.Int32, lambda p, r: r.github_stars),
    "project_page": (pl.String, lambda p, r: r.project_page),
    "ai_keywords": (pl.List(pl.String), lambda p, r: _listed(r.ai_keywords)),
    "ai_summary": (pl.String, lambda p, r: r.ai_summary),
    "organization": (pl.String, lambda p, r: r.organization),
    "primary_category": (pl.String, lambda p, r: r.categories[0] if r.categories else None),
    "categories": (pl.List(pl.String), lambda p, r: _listed(r.categories)),
    "arxiv_comment": (pl.String, lambda p, r: r.arxiv_comment),
    "digest_date": (pl.Date, lambda p, r: r.digest_date),
    "observed_at": (pl.Datetime("us"), lambda p, r: utc_naive(r.observed_at)),
}
# Paper attributes: the newest observation that has a value wins.
PAPER_ATTRIBUTES = [c for c in PAPER_COLUMNS if c not in ("arxiv_id", "digest_date", "observed_at")]
SIGHTING_KEY = ["arxiv_id", "source", "digest_date"]
# When one paper is seen in several arXiv listings of a day, its section is the
# strongest: a new submission in one listing is new, whatever the others say.
# (warehouse/sql/plan_sightings.sql spells the same order out for merges with stored rows.)
SECTION_PRIORITY = ("new", "cross", "replacement")


def frame(pairs: Sequence[tuple[RawPage, PaperRecord]], columns: dict[str, Column]) -> pl.DataFrame:
    """Build a frame column by column (10x faster than from a list of dicts)."""
    return pl.DataFrame(
        {name: [get(p, r) for p, r in pairs] for name, (_, get) in columns.items()},
        schema={name: dtype for name, (dtype, _) in columns.items()},
    )


def batch_frames(pairs: Sequence[tuple[RawPage, PaperRecord]]) -> Batch:
    """One row per sighting key and per paper, merging repeated observations within the batch."""
    order = ["observed_at", "digest_date"]
    sightings = frame(pairs, SIGHTING_COLUMNS).sort([*order, "rank"])
    observations = sightings.select([*SIGHTING_KEY, "observed_at", "rank", "upvotes", "comments", "raw_sha256"]).unique(
        [*SIGHTING_KEY, "observed_at"], keep="first", maintain_order=True
    )
    return Batch(
        sightings=_merge_sightings(sightings),
        papers=_merge_papers(frame(pairs, PAPER_COLUMNS).sort(order)),
        observations=observations,
    )


def _merge_sightings(rows: pl.DataFrame) -> pl.DataFrame:
    # Counts come from the newest observation; the section is the strongest,
    # the listings are all of them, the first observation is the earliest.
    latest = [c for c in SIGHTING_COLUMNS if c not in (*SIGHTING_KEY, "section", "listings")]
    priority = pl.col("section").replace_strict(
        {s: n for n, s in enumerate(SECTION_PRIORITY)}, default=len(SECTION_PRIORITY), return_dtype=pl.Int8
    )
    merged = rows.group_by(SIGHTING_KEY, maintain_order=True).agg(
        *[pl.col(c).last() for c in latest],
        pl.col("section").sort_by(priority).first(),
        pl.col("listings").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().unique().sort(),
        pl.col("observed_at").min().alias("first_observed_at"),
    )
    return merged.with_columns(pl.when(pl.col("listings").list.len() > 0).then(pl.col("listings")))


def _merge_papers(rows: pl.DataFrame) -> pl.DataFrame:
    # One row per paper: newest non-null attribute. Digest dates come from the stored sightings
    # (warehouse/sql/upsert_papers.sql); digest_date only breaks ties between observations.
    return rows.group_by("arxiv_id", maintain_order=True).agg(
        *[pl.col(c).drop_nulls().last() for c in PAPER_ATTRIBUTES],
        pl.col("observed_at").max(),
    )


def raw_frame(pages: Sequence[RawPage]) -> pl.DataFrame:
    """The raw_pages rows of a batch, once per (url, sha256)."""
    names = list(RawPage.__dataclass_fields__)
    data = {n: [utc_naive(getattr(p, n)) if n == "fetched_at" else getattr(p, n) for p in pages] for n in names}
    schema: dict[str, PolarsDataType] = {
        "digest_date": pl.Date,
        "status": pl.Int32,
        "fetched_at": pl.Datetime("us"),
        "size": pl.Int64,
        "truncated": pl.Boolean,
    }
    return pl.DataFrame(data, schema={n: schema.get(n, pl.String) for n in names}).unique(["url", "sha256"])


def quarantine_frame(bad: Sequence[PageResult]) -> pl.DataFrame:
    """The quarantine rows of a batch."""
    return pl.DataFrame(
        {
            "url": [r.page.url for r in bad],
            "sha256": [r.page.sha256 for r in bad],
            "source": [r.page.source for r in bad],
            "listing": [r.page.listing for r in bad],
            "digest_date": [r.page.digest_date for r in bad],
            "error": [r.error for r in bad],
            "fetched_at": [utc_naive(r.page.fetched_at) for r in bad],
        },
        schema={
            "url": pl.String,
            "sha256": pl.String,
            "source": pl.String,
            "listing": pl.String,
            "digest_date": pl.Date,
            "error": pl.String,
            "fetched_at": pl.Datetime("us"),
        },
    ).unique(["url", "sha256"], keep="last")


@dataclass
class DigestRow:
    """What a loaded page says about its (source, listing, day)."""

    result: PageResult
    content_hash: str | None = None
    repeat_of: date | None = None


def digest_frame(rows: Sequence[DigestRow]) -> pl.DataFrame:
    """The digests rows of a batch, newest fetch per key."""
    return (
        pl.DataFrame(
            {
                "source": [d.result.page.source for d in rows],
                "listing": [d.result.page.listing for d in rows],
                "digest_date": [d.result.day for d in rows],
                "kind": [d.result.page.kind for d in rows],
                "url": [d.result.page.url for d in rows],
                "sha256": [d.result.page.sha256 for d in rows],
                "entries": [len(d.result.records) for d in rows],
                "fetched_at": [utc_naive(d.result.page.fetched_at) for d in rows],
                "content_hash": [d.content_hash for d in rows],
                "repeat_of": [d.repeat_of for d in rows],
            },
            schema={
                "source": pl.String,
                "listing": pl.String,
                "digest_date": pl.Date,
                "kind": pl.String,
                "url": pl.String,
                "sha256": pl.String,
                "entries": pl.Int32,
                "fetched_at": pl.Datetime("us"),
                "content_hash": pl.String,
                "repeat_of": pl.Date,
            },
        )
        .sort("fetched_at")
        .unique(["source", "listing", "digest_date"], keep="last")
    )
