"""What one subscriber's summary holds: their matches first, then the period's trends and top papers.

A Period is computed once (mail.period: trends, paper texts, the TF-IDF rows
behind seed similarity, the charts); personal_digest then only filters and
ranks it, so a thousand subscribers cost a thousand cheap passes, not a
thousand reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl
import scipy.sparse as sp

from common.phrases import same_idea, term_key
from common.text import fold_spaces, shorten
from mail.similarity import similar
from reports import links
from reports.model import WeekReport
from reports.render import spark_name
from reports.stories import story_when
from warehouse.subscribers import Subscriber

AUTHORS_SHOWN = 3
SUMMARY_CHARS = 300
SEED_TITLE_CHARS = 50  # of a seed paper's title in the 'similar to' tag
TOP_STORIES = 5
TRENDING_SHOWN = 3  # papers gaining upvotes in a weekly message
TOP_KEPT = 3  # places kept for the period's top papers however many papers match
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_NON_WORD = re.compile(r"[^\w+#]+")  # "C++", "C#" keep their signs


@dataclass(frozen=True)
class EmailPaper:
    """A paper as an email shows it; every link is built by reports.links (None when the id fails)."""

    arxiv_id: str
    title: str
    authors: str
    summary: str
    upvotes: int | None
    hf_url: str | None
    arxiv_url: str | None
    github_url: str | None
    text: str = field(repr=False)  # title, summary, abstract and keywords, as `words` spells them: what filters match
    author_names: tuple[str, ...] = field(default=(), repr=False)  # every author, as `words` spells them


@dataclass(frozen=True)
class EmailStory:
    """A story of the week's report as an email tells it: the same name, figures and example papers."""

    label: str
    terms: tuple[str, ...]
    when: str  # "building for 4 weeks · continuing since 2026-W12"
    per_week: float  # papers a week now ...
    baseline_per_week: float  # ... and before, the same unit
    growth: float
    spark: str | None  # chart name of its sparkline
    examples: tuple[tuple[str, str | None], ...] = ()  # (title, link built by reports.links) best fit first


@dataclass
class Period:
    """Everything shared by every message of one period."""

    kind: str  # "weekly" | "daily"
    label: str  # "2026-W17" | "2026-04-24"
    papers: list[EmailPaper]  # best first (upvotes; HF's order for a day)
    stories: list[EmailStory] = field(default_factory=list)  # the report's stories, strongest first
    trending: list[EmailPaper] = field(default_factory=list)
    charts: dict[str, bytes] = field(default_factory=dict)  # name -> PNG, shared by every message
    report_url: str | None = None
    vectors: sp.csr_matrix | None = None  # L2-normalised TF-IDF row per paper of `papers`
    seed_vectors: dict[str, sp.csr_matrix] = field(default_factory=dict)  # seed id -> its row, same columns
    seed_titles: dict[str, str] = field(default_factory=dict)  # seed id -> title, to say what a paper is like

    @property
    def top_label(self) -> str | None:
        return self.stories[0].label if self.stories else None


@dataclass
class Digest:
    """One subscriber's message content."""

    subscriber: Subscriber
    matched: list[tuple[EmailPaper, str]]  # (paper, why: the keyword, topic or seed it matched)
    matched_stories: list[EmailStory]
    top: list[EmailPaper]
    period: Period
    unmatched: list[str] = field(default_factory=list)  # the reader's keywords and topics that found nothing
    trending: list[EmailPaper] = field(default_factory=list)  # gaining upvotes, none listed above or before

    @property
    def has_match(self) -> bool:
        return bool(self.matched or self.matched_stories)

    @property
    def paper_ids(self) -> tuple[str, ...]:
        """The papers the message lists (matches, top papers, gaining upvotes): none is listed to this reader
        again. (A story's example titles illustrate the story, the same for every reader, and are not counted.)"""
        ids = [p.arxiv_id for p, _ in self.matched] + [p.arxiv_id for p in (*self.top, *self.trending)]
        return tuple(dict.fromkeys(ids))


def email_papers(frame: pl.DataFrame) -> list[EmailPaper]:
    """Papers from warehouse.queries.email_papers, with summaries cut and links built."""
    papers = []
    for row in frame.iter_rows(named=True):
        authors = list(row["authors"] or [])
        shown = ", ".join(authors[:AUTHORS_SHOWN]) + (" et al." if len(authors) > AUTHORS_SHOWN else "")
        keywords = " ".join(row["ai_keywords"] or [])
        papers.append(
            EmailPaper(
                row["arxiv_id"],
                row["title"],
                shown,
                summary_of(row["ai_summary"], row["abstract"]),
                row["upvotes"],
                links.hf_link(row["arxiv_id"]),
                links.arxiv_link(row["arxiv_id"]),
                links.github_link(row["github_repo"]),
                words(f"{row['title']} {row['ai_summary'] or ''} {row['abstract'] or ''} {keywords}"),
                tuple(words(a) for a in authors),
            )
        )
    return papers


def summary_of(ai_summary: str | None, abstract: str | None) -> str:
    """HF's one-sentence summary when there is one, else the abstract's first sentence; at most SUMMARY_CHARS."""
    text = fold_spaces(ai_summary or "")
    if not text and abstract:
        text = _SENTENCE.split(fold_spaces(abstract), maxsplit=1)[0]
    return shorten(text, SUMMARY_CHARS)


def weekly_stories(report: WeekReport) -> list[EmailStory]:
    """The report's stories as the email tells them, strongest first."""
    return [
        EmailStory(
            story.label,
            story.terms,
            story_when(story, report.week),
            story.per_week,
            story.baseline_per_week,
            story.growth,
            spark_name(story),
            tuple((p.title, links.paper_page(p.arxiv_id, p.sources)) for p in story.examples),
        )
        for story in report.stories[:TOP_STORIES]
    ]


def personal_digest(period: Period, sub: Subscriber, seen: frozenset[str] | set[str] = frozenset()) -> Digest:
    """`sub`'s message of `period`: papers matching their keywords, topics, authors and seeds first, then the
    top papers, max_papers in all; never a paper they were sent before (`seen`) or one holding a keyword or
    author they excluded."""
    filters = [(k, words(k)) for k in (*sub.keywords, *sub.topics)]
    matched: list[tuple[EmailPaper, str]] = []
    # A reader's own seed papers are not news to them, nor what they were sent before or turned down.
    shown: set[str] = set(sub.seeds) | set(seen) | {p.arxiv_id for p in period.papers if _excluded(p, sub)}
    # Papers like a seed first: no digest bot offers them, and a keyword finds many papers.
    for seed, row in similar(period.vectors, period.seed_vectors, sub.seeds):
        paper = period.papers[row]
        if paper.arxiv_id not in shown:  # a seed of the period is its own nearest paper: shown already
            matched.append((paper, f"similar to {_seed_name(period, seed)}"))
            shown.add(paper.arxiv_id)
    followed = [(a, words(a)) for a in sub.authors]
    for paper in period.papers:
        why = next((name for name, spelled in filters if spelled in paper.text), None)
        why = why or next((f"by {name}" for name, spelled in followed if _by(paper, spelled)), None)
        if why and paper.arxiv_id not in shown:
            matched.append((paper, why))
            shown.add(paper.arxiv_id)
    # Matches come first but leave the period's top papers a third of the room (at most 3 places).
    matched = matched[: sub.max_papers - min(TOP_KEPT, sub.max_papers // 3)]
    wanted = [*sub.topics, *sub.keywords]
    stories = [t for t in period.stories if any(_story_matches(t, w) for w in wanted)]
    # One line names what found nothing, so silence about a keyword is not mistaken for a miss (a paper
    # shown for one keyword may match another too: that one found something as well).
    found = {name for name, spelled in filters if any(spelled in paper.text for paper in period.papers)}
    found |= {w for w in wanted for t in stories if _story_matches(t, w)}
    unmatched = [w for w in dict.fromkeys(wanted) if w not in found]
    room = sub.max_papers - len(matched)
    top = [p for p in period.papers if p.arxiv_id not in shown][: max(room, 0)]
    shown |= {p.arxiv_id for p in top}
    trending = [p for p in period.trending if p.arxiv_id not in shown and not _excluded(p, sub)][:TRENDING_SHOWN]
    return Digest(sub, matched, stories, top, period, unmatched, trending)


def _excluded(paper: EmailPaper, sub: Subscriber) -> bool:
    """Does `paper` hold a keyword or an author `sub` excluded?"""
    return any(words(k) in paper.text for k in sub.exclude_keywords) or any(
        _by(paper, words(a)) for a in sub.exclude_authors
    )


def _by(paper: EmailPaper, author: str) -> bool:
    # An author as a reader writes them: "Hinton" or "Geoffrey Hinton", whole words of one author's name.
    return any(author in name for name in paper.author_names)


def _seed_name(period: Period, seed: str) -> str:
    title = period.seed_titles.get(seed)
    if not title:
        return f"your paper {seed}"
    return f"“{shorten(title, SEED_TITLE_CHARS)}”"


def words(text: str) -> str:
    """Text as filters compare it: lower case, words between single spaces and one at each end, so a phrase
    matches as whole words with a plain substring test ("test-time scaling" finds "Test-Time Scaling")."""
    return " " + " ".join(_NON_WORD.split(text.lower())).strip() + " "


def _story_matches(story: EmailStory, wanted: str) -> bool:
    key = term_key(wanted)
    return any(same_idea(key, term) for term in (story.label, *story.terms))
