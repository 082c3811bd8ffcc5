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
    """A rising or new research term: its papers now and before, in papers a week."""

    term: str
    count: int  # papers of the target weeks holding it (a sum over them)
    baseline_count: int  # papers of the baseline weeks holding it (a sum over them)
    score: float  # the rate ratio's lower 95% bound: what ranks terms (reports/terms.py)
    horizon: str  # "week" | "momentum" | "quarter"
    baseline_per_week: float = 0.0  # baseline_count as a weekly mean ("2.1 a week")
    per_week: float = 0.0  # count as a weekly mean, the same unit
    growth: float = 0.0  # its share of all papers now over its share before (volume-adjusted)
    long_form: str | None = None  # an acronym's long form, as papers define it
    series: tuple[tuple[str, int | None], ...] = ()  # (ISO week, papers) over 26 weeks; None: no data that week
    examples: tuple[PaperRef, ...] = ()  # papers holding it, best fit first

    @property
    def name(self) -> str:
        """How a reader sees it: "OPD (on-policy distillation)", or the term itself."""
        return f"{self.term} ({self.long_form})" if self.long_form else self.term


@dataclass(frozen=True)
class Story:
    """Terms that rose together (they share papers), told as one story with its own id across weeks."""

    story_id: str  # "<its first term's key>-<the week its rise began>": the same id every week it continues
    label: str  # its name: its strongest term, an acronym spelled out
    terms: tuple[str, ...]  # the terms it groups, as shown (the first is the name's)
    horizon: str  # how its rise shows: "week" | "momentum" | "quarter"
    papers: int  # papers of the target weeks carrying one of its terms
    per_week: float  # those papers a week
    baseline_per_week: float  # papers a week carrying them in the baseline weeks
    growth: float  # share of all papers now over share before (volume-adjusted)
    score: float  # the rate ratio's lower 95% bound
    since: str  # ISO week its rise began
    new: bool  # first seen within the last 2 weeks, absent the year before
    series: tuple[tuple[str, int | None], ...] = ()  # (ISO week, papers) over 26 weeks; None: no data
    examples: tuple[PaperRef, ...] = ()  # best fit to its terms first, then upvotes
    topic_id: int | None = None  # the rising topic of the window that shares its papers, if any

    def to_json(self) -> dict[str, Any]:
        """The story for `report --json`, with the keys older readers of `topics` know (label, terms, ...)."""
        data = asdict(self)
        data["id"] = data.pop("story_id")
        return data


@dataclass
class WeekReport:
    """Everything the weekly report says about one ISO week."""

    week: str  # "2025-W22"
    week_start: date
    papers: int
    papers_by_source: dict[str, int]
    last_week_papers: int
    baseline_mean: float  # mean papers per week over the 8 weeks before
    stories: list[Story] = field(default_factory=list)  # what rose, strongest first
    summary: list[str] = field(default_factory=list)  # three lines: volume, top stories, top paper
    rising_topics: list[TopicTrend] = field(default_factory=list)  # topic rows (warehouse topic_trends)
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
        data["stories"] = [story.to_json() for story in self.stories]
        # `topics` were the rising topic rows; they are the stories now, with the keys readers used.
        data["topics"] = data["stories"]
        del data["rising_topics"]
        for key in ("rising_terms", "new_terms"):
            data[key] = [item | {"name": term.name} for item, term in zip(data[key], getattr(self, key), strict=True)]
        return data
