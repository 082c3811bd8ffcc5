"""Stories: the rising terms that share papers, told together, each with its papers, series and examples.

Pure: from the rising terms (reports/terms.py), the series window's paper
index and per-week totals. Terms are taken strongest first; a term joins the
story whose first term's papers hold at least JOIN_OVERLAP of its own (or
of the first term's, when those are fewer) over the last 13 weeks, or whose
first term lives in the same rising topic (HOME_SHARE of both terms' papers
in it: near-synonyms are seldom written in one abstract but share a topic),
else it starts one.
A story's figures are its first term's, in that term's horizon: papers a
week now and before, growth as the ratio of shares (volume-adjusted), and the
conservative bound terms are ranked by; its examples hold its terms. Its
id is its first term's key and the week its rise began, both derived from
data up to the report's week, so every rerun gives the same ids and a story
keeps its id while it continues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from common.phrases import term_key
from reports.lexicon import Lexicon
from reports.model import PaperRef, Story, TermTrend
from reports.terms import HORIZONS, SMOOTHING, horizon_words, rise
from reports.weeks import iso_week

TOP_STORIES = 8
STORY_TERMS = 5  # the terms a story shows, its name's first
EXAMPLES = 3
JOIN_OVERLAP = 0.4  # a term joins a story holding this share of its papers (overlap coefficient) ...
HOME_SHARE = 0.6  # ... or whose first term lives in the same rising topic, both with this share of their papers
GROUPING_WEEKS = 13  # terms are compared on their papers of the last quarter
SERIES_WEEKS = 26
NEW_WEEKS = 2  # "new": first seen in the last 2 weeks, absent the year before (the quarter's baseline)
RAISED = 1.5  # a week belongs to a story's rise when its share is this times the story's baseline share


@dataclass(frozen=True)
class PaperIndex:
    """The series window's papers with their phrase ids (CSR) and how many weeks before the report each is."""

    ids: list[str]
    weeks_back: np.ndarray  # per paper: 0 for the report's week, 1 for the week before, ...
    offsets: np.ndarray
    term_ids: np.ndarray

    @classmethod
    def of(cls, window: tuple[list[str], np.ndarray, np.ndarray, np.ndarray], monday: date) -> PaperIndex:
        ids, weeks, offsets, term_ids = window
        back = (np.datetime64(monday, "D") - np.asarray(weeks, dtype="datetime64[D]")).astype(np.int64) // 7
        return cls(ids, back, offsets, term_ids)

    def holders(self, wanted: dict[str, list[int]]) -> dict[str, np.ndarray]:
        """For each name, the sorted rows of the papers holding any of its phrase ids (one pass over the index)."""
        every = np.unique(np.fromiter((i for ids in wanted.values() for i in ids), dtype=np.int64))
        rows = np.repeat(np.arange(len(self.ids)), np.diff(self.offsets))
        hit = np.isin(self.term_ids, every)
        pairs_term, pairs_row = np.asarray(self.term_ids)[hit], rows[hit]
        order = np.argsort(pairs_term, kind="stable")
        pairs_term, pairs_row = pairs_term[order], pairs_row[order]
        found = {}
        for name, ids in wanted.items():
            parts = [
                pairs_row[np.searchsorted(pairs_term, i, "left") : np.searchsorted(pairs_term, i, "right")] for i in ids
            ]
            found[name] = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        return found


@dataclass(frozen=True)
class StoryInputs:
    """What stories are told from, besides the terms: papers, their index and the weeks' totals."""

    monday: date
    index: PaperIndex
    per_week: dict[date, int]  # indexed papers per week (a week absent: no data)
    papers: pl.DataFrame  # arxiv_id, title, upvotes, github_repo, sources of the topic window
    baseline_history: dict[str, int]  # term -> papers of its quarter baseline (weeks 14-65 back)
    topics: np.ndarray | None = None  # per index row: its topic in the report's topic model (-1: none)
    rising_topics: frozenset[int] = frozenset()  # the topics that rose this week

    def totals(self, weeks: int) -> list[int]:
        """Indexed papers of each of the last `weeks` weeks, the report's week first."""
        return [self.per_week.get(self.monday - timedelta(weeks=n), 0) for n in range(weeks)]

    def weekly(self, rows: np.ndarray) -> np.ndarray:
        """How many of these papers each of the SERIES_WEEKS weeks holds, the report's week first."""
        return np.bincount(self.index.weeks_back[rows], minlength=SERIES_WEEKS)[:SERIES_WEEKS]


def tell_stories(
    terms: list[TermTrend], term_ids: dict[str, list[int]], inputs: StoryInputs, lexicon: Lexicon
) -> tuple[list[Story], list[TermTrend]]:
    """The week's stories, strongest first, and the terms they show (with per-week figures, series, examples)."""
    if not terms:
        return [], []
    holders = inputs.index.holders({t.term: term_ids.get(t.term, []) for t in terms})
    # Counted again as distinct papers ("VLM" and "VLMs" in one abstract are one paper, not two), and
    # kept only if that is still a rise and the term is in at least one paper of the report's week.
    terms = [t for t in (_recounted(t, holders[t.term], inputs) for t in terms) if t is not None]
    recent = inputs.index.weeks_back < GROUPING_WEEKS
    groups: list[list[TermTrend]] = []
    members: list[np.ndarray] = []
    homes: list[int | None] = []
    for term in sorted(terms, key=lambda t: (-t.score, t.term)):
        rows = holders[term.term][recent[holders[term.term]]]
        home = _home_topic(rows, inputs)
        best, best_overlap = None, 0.0
        for g, story_rows in enumerate(members):
            shared = np.intersect1d(rows, story_rows, assume_unique=True).size
            overlap = shared / max(min(rows.size, story_rows.size), 1)
            # Terms that share papers, or that both live in one rising topic ("mamba layers" and
            # "state space models" are seldom written in one abstract, but their papers are one topic).
            if home is not None and home == homes[g]:
                overlap = max(overlap, JOIN_OVERLAP)
                shared = max(shared, 2)
            if shared >= 2 and overlap >= JOIN_OVERLAP and overlap > best_overlap:
                best, best_overlap = g, overlap
        if best is None:
            groups.append([term])
            homes.append(home)
            members.append(rows)  # compared with its first term's papers only: no chaining through a growing union
        elif not any(lexicon.same_idea(term.term, other.term) for other in groups[best]):
            groups[best].append(term)
    stories = [
        replace(_story(group, holders, inputs), topic_id=home) for group, home in zip(groups, homes, strict=True)
    ]
    # Biggest rise first: the papers a week above usual it brings, at the conservative bound (a story
    # of 5 papers a week at x2 comes before one of 0.7 a week at x6).
    stories = sorted(stories, key=lambda s: (-s.per_week * (1 - 1 / s.score), s.story_id))[:TOP_STORIES]
    shown = {name for story in stories for name in story.terms}
    described = [_described(t, holders[t.term], inputs) for t in terms if t.name in shown]
    return stories, described


def _recounted(term: TermTrend, rows: np.ndarray, inputs: StoryInputs) -> TermTrend | None:
    horizon = HORIZONS[term.horizon]
    back = inputs.index.weeks_back[rows]
    if not (back == 0).any():
        return None
    end = horizon.target + horizon.baseline
    totals = inputs.totals(end)
    count = int((back < horizon.target).sum())
    if end <= SERIES_WEEKS:
        baseline = int(((back >= horizon.target) & (back < end)).sum())
    else:  # the quarter's baseline lies past the index: its summed count, corrected as the target's was
        baseline = round(term.baseline_count * count / max(term.count, 1))
    found = rise(count, sum(totals[: horizon.target]), baseline, sum(totals[horizon.target : end]))
    if found is None:
        return None
    return replace(
        term,
        count=count,
        baseline_count=baseline,
        growth=found[0],
        score=found[1],
        per_week=round(count / horizon.target, 1),
        baseline_per_week=round(baseline / horizon.baseline, 1),
    )


def _home_topic(rows: np.ndarray, inputs: StoryInputs) -> int | None:
    """The rising topic holding at least HOME_SHARE of these papers (of those the topic model placed), if any."""
    if inputs.topics is None or not inputs.rising_topics or rows.size == 0:
        return None
    placed = inputs.topics[rows]
    placed = placed[placed >= 0]
    if placed.size < 2:
        return None
    values, counts = np.unique(placed, return_counts=True)
    best = int(np.argmax(counts))
    topic = int(values[best])
    return topic if topic in inputs.rising_topics and counts[best] >= HOME_SHARE * placed.size else None


def _story(group: list[TermTrend], holders: dict[str, np.ndarray], inputs: StoryInputs) -> Story:
    # Its figures are its first term's, in that term's horizon: the evidence that made it rise, in one
    # unit (papers a week now and before). The other terms name it better and bring its examples.
    first = group[0]
    horizon = HORIZONS[first.horizon]
    rows = holders[first.term]
    counts, totals = inputs.weekly(rows), inputs.totals(SERIES_WEEKS)
    # Its rise began with the earliest week, going back without a break, whose share stayed RAISED times
    # its baseline share (its baseline papers a week over a usual week's papers).
    usual = float(np.mean([t for t in totals if t])) if any(totals) else 1.0
    base_share = max(first.baseline_per_week, SMOOTHING / horizon.baseline) / usual
    since = 0
    for n in range(1, SERIES_WEEKS):
        if totals[n] == 0 or counts[n] / totals[n] < RAISED * base_share:
            break
        since = n
    first_seen = max((n for n in range(SERIES_WEEKS) if counts[n]), default=0)
    new = first_seen < NEW_WEEKS and all(inputs.baseline_history.get(t.term, 0) == 0 for t in group)
    start = inputs.monday - timedelta(weeks=first_seen if new else since)
    every = np.unique(np.concatenate([holders[t.term] for t in group]))
    return Story(
        story_id=f"{_slug(first.term)}-{iso_week(start).lower()}",
        label=first.name,
        terms=tuple(t.name for t in group[:STORY_TERMS]),
        horizon=first.horizon,
        papers=first.count,
        per_week=first.per_week,
        baseline_per_week=first.baseline_per_week,
        growth=first.growth,
        score=first.score,
        since=iso_week(start),
        new=new,
        series=_series(counts, totals, inputs.monday),
        examples=_examples(every[inputs.index.weeks_back[every] < horizon.target], group, holders, inputs),
    )


def _described(term: TermTrend, rows: np.ndarray, inputs: StoryInputs) -> TermTrend:
    horizon = HORIZONS[term.horizon]
    back = inputs.index.weeks_back[rows]
    counts, totals = inputs.weekly(rows), inputs.totals(SERIES_WEEKS)
    return replace(
        term,
        series=_series(counts, totals, inputs.monday),
        examples=_examples(rows[back < horizon.target], [term], {term.term: rows}, inputs),
    )


def _series(counts: np.ndarray, totals: list[int], monday: date) -> tuple[tuple[str, int | None], ...]:
    # Oldest first; a week without any indexed paper is a gap (no data), not a zero.
    return tuple(
        (iso_week(monday - timedelta(weeks=n)), int(counts[n]) if totals[n] else None)
        for n in range(SERIES_WEEKS - 1, -1, -1)
    )


def _examples(
    rows: np.ndarray, group: list[TermTrend], holders: dict[str, np.ndarray], inputs: StoryInputs
) -> tuple[PaperRef, ...]:
    # The report's week's papers first (what is new: a story's hits of earlier weeks repeat week after
    # week), then fit: a paper holding more of the story's terms, the stronger ones weighing more; then upvotes.
    fit = np.zeros(rows.size)
    for rank, term in enumerate(group):
        fit += np.isin(rows, holders[term.term]) / (rank + 1)
    ids = [inputs.index.ids[r] for r in rows]
    frame = pl.DataFrame(
        {"arxiv_id": ids, "fit": fit, "now": inputs.index.weeks_back[rows] == 0},
        schema={"arxiv_id": pl.String, "fit": pl.Float64, "now": pl.Boolean},
    )
    chosen = (
        frame.join(inputs.papers, on="arxiv_id", how="inner")
        .sort(["now", "fit", "upvotes", "arxiv_id"], descending=[True, True, True, False], nulls_last=True)
        .head(EXAMPLES)
    )
    return tuple(
        PaperRef(r["arxiv_id"], r["title"], r["upvotes"], None, r["github_repo"], tuple(r["sources"] or ()))
        for r in chosen.iter_rows(named=True)
    )


def _slug(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", term_key(term)).strip("-")[:48] or "story"


def story_when(story: Story, week: str) -> str:
    """When it rose, as a reader says it: 'building for 4 weeks · continuing since 2026-W12', 'this week · new'."""
    return when_words(story.horizon, story.new, story.since, week)


def when_words(horizon: str, new: bool, since: str, week: str) -> str:
    """story_when from a story's stored fields (the web pages read them from the warehouse)."""
    rose = horizon_words(horizon)
    if new:
        return f"{rose} · new this week" if since == week else f"{rose} · new since {since}"
    return rose if since == week else f"{rose} · continuing since {since}"
