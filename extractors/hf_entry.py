"""Turns one Hugging Face daily-papers entry (any schema era) into a PaperRecord.

The id and title are required: an entry without them fails the page. Every
other field is optional and type-checked: a value of the wrong type or out of
range becomes None rather than failing the day (the raw page keeps the original).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from common.ids import InvalidArxivId, split_arxiv_id
from common.records import PaperRecord
from common.sources import HF
from common.text import fold_spaces
from extractors.errors import EntryInvalid

SOURCE = HF
_INT32_MAX = 2**31 - 1


def record_from_entry(entry: Any, *, rank: int, digest_date: date, observed_at: datetime, where: str) -> PaperRecord:
    """Map an API/props entry to a record; raises EntryInvalid naming `where` and the rank."""
    paper = entry.get("paper") if isinstance(entry, dict) else None
    if not isinstance(paper, dict):
        raise EntryInvalid(f"entry {rank} has no 'paper' object", source=where)
    try:
        arxiv_id, version = split_arxiv_id(str(paper.get("id", "")))
    except InvalidArxivId as exc:
        raise EntryInvalid(f"entry {rank}: {exc}", source=where) from exc
    title = _clean(paper.get("title")) or _clean(entry.get("title"))
    if not title:
        raise EntryInvalid(f"entry {rank} ({arxiv_id}) has no title", source=where)
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE,
        digest_date=digest_date,
        rank=rank,
        title=title,
        observed_at=observed_at,
        abstract=_clean(paper.get("summary")) or _clean(entry.get("summary")),
        authors=_authors(paper.get("authors")),
        published_at=_timestamp(paper.get("publishedAt")),
        # The date a paper was put on the list moved from the entry's publishedAt
        # to paper.submittedOnDailyAt in 2025-03; both are "listed at".
        listed_at=_timestamp(paper.get("submittedOnDailyAt")) or _timestamp(entry.get("publishedAt")),
        upvotes=_int(paper.get("upvotes")),
        comments=_int(entry.get("numComments")),
        submitter=_user(paper.get("submittedOnDailyBy")) or _user(entry.get("submittedBy")),
        github_repo=_text(paper.get("githubRepo")),
        github_stars=_int(paper.get("githubStars")),
        project_page=_text(paper.get("projectPage")),
        ai_keywords=_keywords(paper.get("ai_keywords")),
        ai_summary=_clean(paper.get("ai_summary")),
        organization=_organization(entry.get("organization")),
    )


def _clean(text: Any) -> str | None:
    # Before 2025 titles and abstracts carry arXiv's hard wraps ("\n  ").
    if not isinstance(text, str):
        return None
    return fold_spaces(text) or None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value) if abs(value) <= _INT32_MAX else None


def _authors(authors: Any) -> tuple[str, ...]:
    if not isinstance(authors, list):
        return ()
    names = (_clean(a.get("name")) if isinstance(a, dict) else _clean(a) for a in authors)
    return tuple(name for name in names if name)


def _keywords(keywords: Any) -> tuple[str, ...]:
    if isinstance(keywords, str):
        keywords = [keywords]
    if not isinstance(keywords, list):
        return ()
    return tuple(k.strip() for k in keywords if isinstance(k, str) and k.strip())


def _user(user: Any) -> str | None:
    if not isinstance(user, dict):
        return None
    return next((_text(user.get(k)) for k in ("user", "name", "fullname") if _text(user.get(k))), None)


def _organization(org: Any) -> str | None:
    if isinstance(org, dict):
        return _text(org.get("name")) or _text(org.get("fullname"))
    return _text(org)
