"""The weekly report as data: what trends.py computes and render.py turns into Markdown and HTML."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from reports import links


@dataclass(frozen=True)
class PaperRef:
    """A paper as a report cites it."""

    arxiv_id: str
    title: str
    upvotes: int | None = None
    gain: int | None = None  # upvotes gained between observations (trending papers)
    github_repo: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def arxiv_url(self) -> str | None:
        return links.arxiv_link(self.arxiv_id)  # None for an id that is not one: no link rather than a bad one

    @property
    def hf_url(self) -> str | None:
        return links.hf_link(self.arxiv_id)


@dataclass(frozen=True)
class TopicTrend:
    """One topic at one horizon: its size, growth against the baseline, and its papers."""

    topic_id: int
    label: str  # 2-4 key terms, phrases first
    terms: tuple[str, ...]
    horizon: str  # "week" | "momentum" (topics are fitted over 16 weeks: no quarter)
    papers: int  # papers of the target window in this topic that carry one of its terms
    share: float
    baseline_share: float
    growth: float  # share / baseline_share (inf-safe: see trends.py)
    score: float  # significance: standard errors above the baseline share (trends._share_z)
    upvotes: int  # sum of HF upvotes of the target window's papers
    series: tuple[tuple[str, float], ...] = ()  # (ISO week, share) over the report window
    top_papers: tuple[PaperRef, ...] = ()


@dataclass(frozen=True)
class TermTrend:
    """A rising or new key phrase."""

    term: str
    count: int
    baseline_count: int  # papers of the baseline weeks holding it (a sum over them)
    score: float
    horizon: str  # "week" | "momentum" | "quarter"
    baseline_per_week: float = 0.0  # baseline_count as a weekly mean ("2.1 a week")


@dataclass
class WeekReport:
    """Everything the weekly report says about one ISO week."""

    week: str  # "2025-W22"
    week_start: date
    papers: int
    papers_by_source: dict[str, int]
    last_week_papers: int
    baseline_mean: float  # mean papers per week over the 8 weeks before
    topics: list[TopicTrend] = field(default_factory=list)  # rising: growth > 1, score past the threshold
    falling_topics: list[TopicTrend] = field(default_factory=list)  # shrinking as significantly, weakest first
    rising_terms: list[TermTrend] = field(default_factory=list)
    new_terms: list[TermTrend] = field(default_factory=list)
    top_papers: list[PaperRef] = field(default_factory=list)
    trending_papers: list[PaperRef] = field(default_factory=list)
    multi_source_papers: list[PaperRef] = field(default_factory=list)
    category_mix: dict[str, int] = field(default_factory=dict)
    volume: list[tuple[str, str, int]] = field(default_factory=list)  # (ISO week, source, papers)
    notes: list[str] = field(default_factory=list)  # e.g. too little data

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON-able data (`papertrend report --json`)."""
        data = asdict(self)
        data["week_start"] = self.week_start.isoformat()
        return data
