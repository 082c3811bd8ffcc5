"""Weekly trends from the warehouse: topics, rising and new terms, headline numbers, notable papers.

Pure computation over warehouse queries (no files, no SQL); rendering is render.py's.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

import duckdb
import polars as pl

from reports.model import PaperRef, TermTrend, TopicTrend, WeekReport
from reports.terms import HORIZONS, PRIOR_STRENGTH, WeeklyTerms
from reports.topics import TopicModel, fit_topics
from warehouse import queries

WINDOW_WEEKS = 16           # the longest horizon: 4 target weeks + 12 baseline weeks
TERM_HISTORY_WEEKS = 52     # prior and background model for terms
MIN_WEEK_PAPERS = 20        # below this a week is reported, with a warning, not interpreted
MIN_BASELINE_WEEKS = 4
TOP_TOPICS, TOP_TERMS, TOP_PAPERS = 8, 15, 10


def iso_week(day: date) -> str:
    """'2025-W22' for any day of that ISO week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(label: str) -> date:
    """The Monday of an ISO week label like '2025-W22'; raises ValueError otherwise."""
    year, week = label.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def build_week_report(con: duckdb.DuckDBPyConnection, monday: date, *, seed: int = 7) -> tuple[WeekReport, TopicModel]:
    """Compute the report of the ISO week starting `monday`, and the topic model behind it."""
    sunday = monday + timedelta(days=6)
    first = monday - timedelta(weeks=WINDOW_WEEKS - 1)
    # One query: the topic window is the tail of the term history.
    history = _with_week(queries.papers_first_listed(con, monday - timedelta(weeks=TERM_HISTORY_WEEKS), sunday))
    docs = history.filter(pl.col("first_digest_date") >= first)
    model = fit_topics(docs, seed=seed)
    docs = docs.join(model.assignments, on="arxiv_id", how="left")
    week = docs.filter(pl.col("week") == monday)
    report = _headline(con, docs, week, monday)
    report.topics = [t for h in HORIZONS for t in _topic_trends(docs, model, monday, h)]
    terms = WeeklyTerms.from_frame(history)
    for horizon in HORIZONS:
        scored = terms.rising(monday, horizon)
        report.rising_terms += [TermTrend(t.term, t.count, t.baseline_count, t.score, horizon)
                                for t in scored if not t.new][:TOP_TERMS]
        report.new_terms += [TermTrend(t.term, t.count, t.baseline_count, t.score, horizon)
                             for t in scored if t.new][:TOP_TERMS]
    report.notes = _notes(report, docs, monday)
    return report, model


def _with_week(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("first_digest_date").dt.truncate("1w").alias("week"))


def _headline(con: duckdb.DuckDBPyConnection, docs: pl.DataFrame, week: pl.DataFrame, monday: date) -> WeekReport:
    sunday = monday + timedelta(days=6)
    per_week = docs.group_by("week").len()
    counts = dict(zip(per_week["week"].to_list(), per_week["len"].to_list()))
    baseline = [counts.get(monday - timedelta(weeks=n), 0) for n in range(1, 9)]
    by_source = week.explode("sources").group_by("sources").len().sort("sources")
    volume = queries.weekly_source_volume(con, monday - timedelta(weeks=WINDOW_WEEKS - 1), sunday)
    gainers = queries.upvote_gainers(con, monday - timedelta(days=7), sunday)
    return WeekReport(
        week=iso_week(monday), week_start=monday, papers=week.height,
        papers_by_source=dict(zip(by_source["sources"].to_list(), by_source["len"].to_list())),
        last_week_papers=counts.get(monday - timedelta(weeks=1), 0),
        baseline_mean=round(sum(baseline) / len(baseline), 1),
        top_papers=_refs(week.sort(["upvotes", "arxiv_id"], descending=[True, False], nulls_last=True)),
        trending_papers=[PaperRef(r["arxiv_id"], r["title"], r["upvotes"], r["gain"], r["github_repo"])
                         for r in gainers.iter_rows(named=True)],
        multi_source_papers=_refs(week.filter(pl.col("sources").list.len() > 1).sort("arxiv_id")),
        category_mix=dict(sorted(week.drop_nulls("primary_category").group_by("primary_category").len()
                                 .rows(), key=lambda r: (-r[1], r[0]))[:12]),
        volume=[(iso_week(r["week"]), r["source"], r["papers"]) for r in volume.iter_rows(named=True)],
    )


def _refs(frame: pl.DataFrame, limit: int = TOP_PAPERS) -> list[PaperRef]:
    return [PaperRef(r["arxiv_id"], r["title"], r["upvotes"], None, r["github_repo"], tuple(r["sources"]))
            for r in frame.head(limit).iter_rows(named=True)]


def _topic_trends(docs: pl.DataFrame, model: TopicModel, monday: date, horizon: str) -> list[TopicTrend]:
    target_weeks, baseline_weeks, min_count = HORIZONS[horizon]
    target = [monday - timedelta(weeks=n) for n in range(target_weeks)]
    baseline = [monday - timedelta(weeks=target_weeks + n) for n in range(baseline_weeks)]
    in_target, in_baseline = docs.filter(pl.col("week").is_in(target)), docs.filter(pl.col("week").is_in(baseline))
    trends = []
    for topic in model.topics:
        mine = in_target.filter(pl.col("topic_id") == topic.topic_id)
        y_i, y_j = mine.height, in_baseline.filter(pl.col("topic_id") == topic.topic_id).height
        if y_i < min_count:
            continue
        prior = (docs.filter(pl.col("topic_id") == topic.topic_id).height + 1) / (docs.height + 1)
        score = _log_odds_z(y_i, in_target.height, y_j, in_baseline.height, prior)
        share, base = y_i / in_target.height, y_j / max(in_baseline.height, 1)
        trends.append(TopicTrend(
            topic.topic_id, topic.label, topic.terms, horizon, y_i, round(share, 4), round(base, 4),
            round(share / max(base, 1 / max(in_baseline.height, 1)), 2), round(score, 3),
            int(mine["upvotes"].fill_null(0).sum()), _series(docs, topic.topic_id, monday),
            tuple(_refs(mine.sort(["upvotes", "arxiv_id"], descending=[True, False], nulls_last=True), 3))))
    return sorted(trends, key=lambda t: (-t.score, t.topic_id))[:TOP_TOPICS]


def _log_odds_z(y_i: int, n_i: int, y_j: int, n_j: int, prior: float) -> float:
    # The same informative-Dirichlet log-odds as for terms, on paper counts.
    alpha = PRIOR_STRENGTH * prior
    delta = (math.log((y_i + alpha) / max(n_i + PRIOR_STRENGTH - y_i - alpha, 1e-9))
             - math.log((y_j + alpha) / max(n_j + PRIOR_STRENGTH - y_j - alpha, 1e-9)))
    return delta / math.sqrt(1 / (y_i + alpha) + 1 / (y_j + alpha))


def _series(docs: pl.DataFrame, topic_id: int, monday: date) -> tuple[tuple[str, float], ...]:
    points = []
    for n in range(WINDOW_WEEKS - 1, -1, -1):
        week = docs.filter(pl.col("week") == monday - timedelta(weeks=n))
        share = week.filter(pl.col("topic_id") == topic_id).height / week.height if week.height else 0.0
        points.append((iso_week(monday - timedelta(weeks=n)), round(share, 4)))
    return tuple(points)


def _notes(report: WeekReport, docs: pl.DataFrame, monday: date) -> list[str]:
    notes = []
    if report.papers < MIN_WEEK_PAPERS:
        notes.append(f"Only {report.papers} papers were first listed in {report.week}: too few to call trends; "
                     "the figures below are shown for completeness.")
    weeks_with_data = docs.filter(pl.col("week") < monday)["week"].n_unique()
    if weeks_with_data < MIN_BASELINE_WEEKS:
        notes.append(f"The baseline holds only {weeks_with_data} week(s) of data: growth figures are unreliable.")
    return notes

