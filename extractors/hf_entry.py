"""Turns one Hugging Face daily-papers entry (any schema era) into a PaperRecord."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from extractors.errors import EntryInvalid
from extractors.ids import InvalidArxivId, split_arxiv_id
from extractors.records import PaperRecord

SOURCE = "hf"


def record_from_entry(entry: dict[str, Any], *, rank: int, digest_date: date,
                      observed_at: datetime, where: str) -> PaperRecord:
    """Map an API/props entry to a record; raises EntryInvalid naming `where` and the rank."""
    paper = entry.get("paper")
    if not isinstance(paper, dict):
        raise EntryInvalid(f"entry {rank} has no 'paper' object", source=where)
    try:
        arxiv_id, version = split_arxiv_id(str(paper.get("id", "")))
    except InvalidArxivId as exc:
        raise EntryInvalid(f"entry {rank}: {exc}", source=where) from exc
    title = _clean(paper.get("title") or entry.get("title"))
    if not title:
        raise EntryInvalid(f"entry {rank} ({arxiv_id}) has no title", source=where)
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE,
        digest_date=digest_date,
        rank=rank,
        title=title,
        abstract=_clean(paper.get("summary") or entry.get("summary")),
        authors=tuple(_clean(a.get("name")) for a in paper.get("authors") or [] if a.get("name")),
        published_at=_timestamp(paper.get("publishedAt")),
        # The date a paper was put on the list moved from the entry's publishedAt
        # to paper.submittedOnDailyAt in 2025-03; both are "listed at".
        listed_at=_timestamp(paper.get("submittedOnDailyAt") or entry.get("publishedAt")),
        observed_at=observed_at,
        upvotes=_int(paper.get("upvotes")),
        comments=_int(entry.get("numComments")),
        submitter=_user(paper.get("submittedOnDailyBy") or entry.get("submittedBy")),
        github_repo=paper.get("githubRepo") or None,
        github_stars=_int(paper.get("githubStars")),
        project_page=paper.get("projectPage") or None,
        ai_keywords=tuple(k.strip() for k in paper.get("ai_keywords") or [] if isinstance(k, str)),
        organization=_organization(entry.get("organization")),
    )


def _clean(text: Any) -> str | None:
    # Before 2025 titles and abstracts carry arXiv's hard wraps ("\n  ").
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None


def _timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _user(user: Any) -> str | None:
    if not isinstance(user, dict):
        return None
    return user.get("user") or user.get("name") or user.get("fullname")


def _organization(org: Any) -> str | None:
    if isinstance(org, dict):
        return org.get("name") or org.get("fullname")
    return org if isinstance(org, str) else None
