"""The record types extractors produce and the warehouse loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class PaperRecord:
    """One paper as seen on one source's digest for one date.

    Identity is (arxiv_id, source, digest_date); every other field is an
    observation that a later fetch of the same digest may update.
    """

    arxiv_id: str  # canonical, without version ("2406.01234", "astro-ph/0601001")
    source: str  # "hf" (HF Daily Papers), "arxiv" (/new listings), "arxiv-api" (Atom API)
    digest_date: date  # the date of the digest page it was listed on
    rank: int  # 1-based position on that digest
    title: str
    observed_at: datetime  # when the page was fetched (UTC)
    version: int | None = None  # arXiv version if the source says so
    abstract: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None  # arXiv publication time
    listed_at: datetime | None = None  # when the source put it on the digest
    upvotes: int | None = None
    comments: int | None = None
    submitter: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_keywords: tuple[str, ...] = field(default=())
    ai_summary: str | None = None  # HF's one-sentence summary (since 2025-05)
    organization: str | None = None
    categories: tuple[str, ...] = ()  # arXiv categories, primary first
    section: str | None = None  # arXiv listing section: "new" | "cross" | "replacement"
    listings: tuple[str, ...] = ()  # arXiv category listings the entry was seen in
    arxiv_comment: str | None = None  # arXiv's free-text "Comments:" line
    updated_at: datetime | None = None  # arXiv time of the latest version
