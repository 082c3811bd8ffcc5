"""Weekly trends: topics, rising and new terms, headline numbers, notable papers.

Two steps: week_inputs.read_week_inputs reads every frame the week needs from
the warehouse (the query step); compute_week_report and everything below it
compute from those frames alone (no connection, no SQL, no files).
build_week_report runs both. Rendering is render.py's.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from reports.lexicon import Lexicon
from reports.model import PaperRef, Story, TermTrend, TopicTrend, WeekReport
from reports.stories import PaperIndex, StoryInputs, tell_stories
from reports.terms import HORIZONS, WindowTotals, horizon_words, merge_variants, score_terms
from reports.topics import OTHER, DocTerms, TopicModel, fit_topics
from reports.week_inputs import WINDOW_WEEKS, WeekInputs, read_week_inputs
from reports.weeks import BASELINE_WEEKS, iso_week

TOPIC_HORIZONS = ("week", "momentum")  # a quarter would need a 65-week topic fit; terms cover it
# A topic's weekly share wanders more than a binomial count would: its papers are assigned by a
# model fitted over the window, and its baseline weeks show how far it wanders. The score counts
# that spread, and never less than this relative spread (a share of 10% +- 3% a week is ordinary).
TOPIC_MIN_SPREAD = 0.3
TOPIC_RISING_SCORE = 2.5  # planted surges: precision 0.94, recall 1.0 (docs/trends.md)
MIN_WEEK_PAPERS = 20  # below this a week is reported, with a warning, not interpreted
MIN_BASELINE_WEEKS = 4
TOP_TOPICS, TOP_FALLING, TOP_TERMS, TOP_PAPERS = 8, 3, 15, 10
# Papers of the momentum target weeks count this much more in the topic fit: an
# emerging cluster is a few percent of a 16-week window, and unweighted NMF gave
# it no component until it was weeks old (planted surges: recall 1/3 -> 3/3).
RECENT_WEIGHT = 3.0


def build_week_report(con: duckdb.DuckDBPyConnection, monday: date, *, seed: int = 7) -> tuple[WeekReport, TopicModel]:
    """The report of the ISO week starting `monday`, and the topic model behind it: read, then computed.

    Reads the phrase index (warehouse.phrase_index); the caller keeps it current
    (flows.indexing.refresh_phrase_index), as the weekly_report flow does.
    """
    return compute_week_report(read_week_inputs(con, monday), seed=seed)


def compute_week_report(inputs: WeekInputs, *, seed: int = 7) -> tuple[WeekReport, TopicModel]:
    """Compute the report of the week of `inputs`, and the topic model behind it (pure: no I/O)."""
    monday = inputs.monday
    lexicon = inputs.lexicon
    model = _window_topics(inputs, seed, lexicon)
    docs = (
        inputs.papers.with_columns(pl.col("first_digest_date").dt.truncate("1w").alias("week"))
        .join(model.assignments, on="arxiv_id", how="left")
        .with_columns(pl.col("topic_id").fill_null(OTHER), pl.col("carries_terms").fill_null(False))
    )
    week = docs.filter(pl.col("week") == monday)
    report = _headline(inputs, docs, week)
    trends = [t for h in TOPIC_HORIZONS for t in _topic_trends(docs, model, monday, h)]
    report.rising_topics = [t for t in trends if is_rising(t)]
    report.falling_topics = sorted((t for t in trends if is_falling(t)), key=lambda t: (t.score, t.topic_id))
    merged = merge_variants(inputs.term_counts, lexicon)
    rising, new = rank_terms(merged, inputs.term_windows.totals, inputs.term_windows.minimum, lexicon)
    named = [_named(t, lexicon) for t in rising + new]
    ids = dict(zip(merged["term"].to_list(), merged["term_ids"].to_list(), strict=True)) if merged.height else {}
    history = (
        dict(zip(merged["term"].to_list(), merged["quarter_baseline"].to_list(), strict=True)) if merged.height else {}
    )
    index = PaperIndex.of(inputs.window_terms, monday)
    topic_of = dict(model.assignments.select("arxiv_id", "topic_id").iter_rows())
    rising_ids = frozenset(t.topic_id for t in report.rising_topics)
    story_inputs = StoryInputs(
        monday,
        index,
        inputs.per_week,
        inputs.papers,
        history,
        np.fromiter((topic_of.get(i, OTHER) for i in index.ids), dtype=np.int64, count=len(index.ids)),
        rising_ids,
    )
    report.stories, shown = tell_stories(named, ids, story_inputs, lexicon)
    report.rising_terms = [t for t in shown if t.baseline_count]
    report.new_terms = [t for t in shown if not t.baseline_count]
    report.summary = summarise(report)
    report.notes = _notes(report, docs, monday)
    return report, model


def _named(term: TermTrend, lexicon: Lexicon) -> TermTrend:
    long_form = lexicon.long_form(term.term)
    return replace(term, long_form=long_form) if long_form else term


def summarise(report: WeekReport) -> list[str]:
    """Three lines a reader takes in first: the week's volume against usual, its top stories, its top paper."""
    change = f" ({(report.papers - report.baseline_mean) / report.baseline_mean:+.0%})" if report.baseline_mean else ""
    lines = [f"{report.papers} papers this week against {report.baseline_mean:g} in a usual week{change}."]
    if report.stories:
        lines.append("Rising: " + "; ".join(_story_line(s) for s in report.stories[:3]) + ".")
    if report.top_papers:
        top = report.top_papers[0]
        votes = f" ({top.upvotes} upvotes)" if top.upvotes is not None else ""
        lines.append(f"Top paper: {top.title}{votes}.")
    return lines


def _story_line(story: Story) -> str:
    return f"{story.label} (×{story.growth:.1f}, {horizon_words(story.horizon)})"


def is_rising(trend: TopicTrend) -> bool:
    """A topic is rising when it grew and the growth is significant, not when it merely ranks high."""
    return trend.growth > 1 and trend.score >= TOPIC_RISING_SCORE


def is_falling(trend: TopicTrend) -> bool:
    """A topic is falling when it shrank significantly against its baseline."""
    return trend.growth < 1 and trend.score <= -TOPIC_RISING_SCORE


def _window_topics(inputs: WeekInputs, seed: int, lexicon: Lexicon) -> TopicModel:
    ids, weeks, offsets, term_ids = _topic_window(inputs)
    # Topics are described by research terms only: prose fragments never make a label.
    vocabulary = {i: term for i, term in inputs.vocabulary.items() if lexicon.is_research_term(term)}
    recent = np.asarray(weeks) > np.datetime64(inputs.monday - timedelta(weeks=HORIZONS["momentum"].target))
    return fit_topics(DocTerms(ids, offsets, term_ids, np.where(recent, RECENT_WEIGHT, 1.0)), vocabulary, seed=seed)


def _topic_window(inputs: WeekInputs) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    # The index covers the series' 26 weeks; topics are fitted on the last WINDOW_WEEKS of them.
    ids, weeks, offsets, term_ids = inputs.window_terms
    keep = np.asarray(weeks) >= np.datetime64(inputs.monday - timedelta(weeks=WINDOW_WEEKS - 1))
    if keep.all():
        return ids, weeks, offsets, term_ids
    lengths = np.diff(offsets)[keep]
    flat = np.repeat(keep, np.diff(offsets))
    return (
        [i for i, k in zip(ids, keep, strict=True) if k],
        np.asarray(weeks)[keep],
        np.concatenate([[0], np.cumsum(lengths)]).astype(offsets.dtype),
        np.asarray(term_ids)[flat],
    )


def rank_terms(
    counts: pl.DataFrame, totals: dict[str, WindowTotals], minimum: dict[str, int], lexicon: Lexicon
) -> tuple[list[TermTrend], list[TermTrend]]:
    """The rising and new terms of each horizon from merged counts (term, <horizon>_count,
    <horizon>_baseline), strongest first, TOP_TERMS of each, one idea once (in any of its
    forms: "verifiable rewards" is one idea with RLVR)."""

    rising: list[TermTrend] = []
    new: list[TermTrend] = []
    shown: set[str] = set()
    for horizon in HORIZONS.values():
        frame = counts.select(
            "term",
            pl.col(f"{horizon.name}_count").alias("count"),
            pl.col(f"{horizon.name}_baseline").alias("baseline_count"),
        )
        # One idea once per report: a term is listed at its shortest horizon only, and never
        # beside a term it contains or is contained in ("RL training" after "RL").
        scored = []
        for t in score_terms(frame, totals[horizon.name], min_count=minimum[horizon.name]):
            if not any(lexicon.same_idea(t.term, other) for other in shown):
                scored.append(t)
                shown.add(t.term)
        trends = [
            TermTrend(
                t.term,
                t.count,
                t.baseline_count,
                t.score,
                horizon.name,
                round(t.baseline_count / horizon.baseline, 1),
                round(t.count / horizon.target, 1),
                t.growth,
            )
            for t in scored
        ]
        rising += [t for t in trends if t.baseline_count][:TOP_TERMS]
        new += [t for t in trends if not t.baseline_count][:TOP_TERMS]
        shown = {t.term for t in rising + new}
    return rising, new


def _headline(inputs: WeekInputs, docs: pl.DataFrame, week: pl.DataFrame) -> WeekReport:
    monday = inputs.monday
    per_week = docs.group_by("week").len()
    counts = dict(zip(per_week["week"].to_list(), per_week["len"].to_list(), strict=True))
    baseline = [counts.get(monday - timedelta(weeks=n), 0) for n in range(1, BASELINE_WEEKS + 1)]
    by_source = week.explode("sources").group_by("sources").len().sort("sources")
    return WeekReport(
        week=iso_week(monday),
        week_start=monday,
        papers=week.height,
        papers_by_source=dict(zip(by_source["sources"].to_list(), by_source["len"].to_list(), strict=True)),
        last_week_papers=counts.get(monday - timedelta(weeks=1), 0),
        baseline_mean=round(sum(baseline) / len(baseline), 1),
        top_papers=_refs(week.sort(["upvotes", "arxiv_id"], descending=[True, False], nulls_last=True)),
        trending_papers=[
            PaperRef(r["arxiv_id"], r["title"], r["upvotes"], r["gain"], r["github_repo"])
            for r in inputs.gainers.iter_rows(named=True)
        ],
        multi_source_papers=_refs(week.filter(pl.col("sources").list.len() > 1).sort("arxiv_id")),
        category_mix=dict(
            sorted(
                week.drop_nulls("primary_category").group_by("primary_category").len().rows(),
                key=lambda r: (-r[1], r[0]),
            )[:12]
        ),
        volume=[(iso_week(r["week"]), r["source"], r["papers"]) for r in inputs.volume.iter_rows(named=True)],
    )


def _refs(frame: pl.DataFrame, limit: int = TOP_PAPERS) -> list[PaperRef]:
    return [
        PaperRef(r["arxiv_id"], r["title"], r["upvotes"], None, r["github_repo"], tuple(r["sources"]))
        for r in frame.head(limit).iter_rows(named=True)
    ]


def _topic_trends(docs: pl.DataFrame, model: TopicModel, monday: date, horizon: str) -> list[TopicTrend]:
    target_weeks, baseline_weeks, min_papers = (
        HORIZONS[horizon].target,
        HORIZONS[horizon].baseline,
        HORIZONS[horizon].floor,
    )
    target = [monday - timedelta(weeks=n) for n in range(target_weeks)]
    baseline = [monday - timedelta(weeks=target_weeks + n) for n in range(baseline_weeks)]
    # A topic's papers are the papers assigned to it that carry one of its terms: the ones a
    # reader sees under it. A paper the model placed there on other evidence is not counted.
    visible = docs.filter(pl.col("carries_terms"))
    cells = {(w, t): n for w, t, n in visible.group_by("week", "topic_id").len().iter_rows()}
    week_totals = dict(docs.group_by("week").len().iter_rows())
    n_target, n_baseline = sum(week_totals.get(w, 0) for w in target), sum(week_totals.get(w, 0) for w in baseline)
    in_target = docs.filter(pl.col("week").is_in(target))
    upvotes = dict(in_target.group_by("topic_id").agg(pl.col("upvotes").fill_null(0).sum()).iter_rows())
    leaders = (
        in_target.filter(pl.col("carries_terms"))
        .sort(["upvotes", "arxiv_id"], descending=[True, False], nulls_last=True)
        .group_by("topic_id", maintain_order=True)
        .head(3)
    )
    window = [monday - timedelta(weeks=n) for n in range(WINDOW_WEEKS - 1, -1, -1)]
    trends = []
    for topic in model.topics:
        y_i = sum(cells.get((w, topic.topic_id), 0) for w in target)
        y_j = sum(cells.get((w, topic.topic_id), 0) for w in baseline)
        if y_i < min_papers:
            continue
        spread = [(cells.get((w, topic.topic_id), 0), week_totals[w]) for w in baseline if week_totals.get(w)]
        score = _share_z(y_i, n_target, y_j, n_baseline, spread, target_weeks)
        share, base = y_i / n_target, y_j / max(n_baseline, 1)
        series = tuple(
            (iso_week(w), round(cells.get((w, topic.topic_id), 0) / week_totals[w], 4) if week_totals.get(w) else 0.0)
            for w in window
        )
        trends.append(
            TopicTrend(
                topic.topic_id,
                topic.label,
                topic.terms,
                horizon,
                y_i,
                round(share, 4),
                round(base, 4),
                round(share / max(base, 1 / max(n_baseline, 1)), 2),
                round(score, 3),
                int(upvotes.get(topic.topic_id, 0)),
                series,
                tuple(_refs(leaders.filter(pl.col("topic_id") == topic.topic_id), 3)),
            )
        )
    rising = sorted((t for t in trends if is_rising(t)), key=lambda t: (-t.score, t.topic_id))[:TOP_TOPICS]
    falling = sorted((t for t in trends if is_falling(t)), key=lambda t: (t.score, t.topic_id))[:TOP_FALLING]
    return rising + falling


def _share_z(y_i: int, n_i: int, y_j: int, n_j: int, weeks: list[tuple[int, int]], target_weeks: int) -> float:
    """How far the target share stands above the baseline share, in standard errors.

    The error holds the binomial noise of both shares and the topic's own week-to-week
    spread, estimated from its baseline weeks (`weeks`: (topic papers, all papers)) less
    their binomial part, and at least TOPIC_MIN_SPREAD of the share; a target of several
    weeks averages that spread down. On small weekly counts the binomial part dominates,
    so a topic needs more papers to rise; on steady large ones, the spread does.
    """
    base = (y_j + 0.5) / (n_j + 1)
    binomial = base * (1 - base)
    spread = (TOPIC_MIN_SPREAD * base) ** 2
    if len(weeks) >= MIN_BASELINE_WEEKS:
        shares = np.array([y / n for y, n in weeks])
        noise = float(np.mean([binomial / n for _, n in weeks]))
        spread = max(spread, float(shares.var(ddof=1)) - noise)
    variance = binomial / n_i + binomial / max(n_j, 1) + spread / target_weeks
    return (y_i / n_i - base) / math.sqrt(variance)


def _notes(report: WeekReport, docs: pl.DataFrame, monday: date) -> list[str]:
    notes = []
    if report.papers < MIN_WEEK_PAPERS:
        notes.append(
            f"Only {report.papers} papers were first listed in {report.week}: too few to call trends; "
            "the figures below are shown for completeness."
        )
    weeks_with_data = docs.filter(pl.col("week") < monday)["week"].n_unique()
    if weeks_with_data < MIN_BASELINE_WEEKS:
        notes.append(f"The baseline holds only {weeks_with_data} week(s) of data: growth figures are unreliable.")
    return notes
