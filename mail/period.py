"""A period's shared content, computed once for every message of it: papers, trends, charts, TF-IDF rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import duckdb
import polars as pl

from common.names import Cadence
from mail.digest import Period, email_papers, weekly_stories
from mail.similarity import tfidf_rows
from reports import charts
from reports.model import WeekReport
from reports.render import spark_name
from reports.weeks import week_start
from warehouse import phrase_index, queries

TRENDING_DAYS = 28  # papers gaining upvotes this week were first listed at most this long before it


def build_period(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    label: str,
    report: WeekReport | None = None,
    *,
    seeds: Sequence[str] = (),
) -> Period:
    """Everything every message of the period shares, computed once: papers, trends, charts, TF-IDF rows.

    `kind` is "weekly" (`label` an ISO week; its report is computed unless given) or "daily" (`label` a day).
    """
    if kind == Cadence.WEEKLY:
        monday = week_start(label)
        sunday = monday + timedelta(days=6)
        if report is None:
            from reports.trends import build_week_report

            report = build_week_report(con, monday)[0]
        # One read for the week's papers and the trending ones, which may be up to TRENDING_DAYS older.
        frame = queries.email_papers(con, monday - timedelta(days=TRENDING_DAYS), sunday)
        papers = email_papers(frame.filter(pl.col("first_digest_date") >= monday))
        recent = {p.arxiv_id: p for p in email_papers(frame)}
        stories = weekly_stories(report)
        shown = {t.spark for t in stories}
        pngs = {"stories": charts.story_chart(report, narrow=True)} if report.stories else {}
        pngs |= {spark_name(s): charts.sparkline(s.series) for s in report.stories if spark_name(s) in shown}
        trending = [recent[p.arxiv_id] for p in report.trending_papers if p.arxiv_id in recent]
        period = Period(kind, label, papers, stories, trending, pngs)
    else:
        day = date.fromisoformat(label)
        period = Period(kind, label, email_papers(queries.email_papers(con, day, day, hf_day=True)))
    if seeds:
        ids = [p.arxiv_id for p in period.papers]
        terms = phrase_index.paper_term_ids(con, ids + list(seeds))
        period.vectors, period.seed_vectors = tfidf_rows(ids, terms, list(dict.fromkeys(seeds)))
        period.seed_titles = queries.paper_titles(con, list(dict.fromkeys(seeds)))
    return period
