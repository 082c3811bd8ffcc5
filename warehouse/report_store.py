"""Saving a week's report and its trends: all of the week's rows replaced in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from warehouse.db import registered
from warehouse.transactions import transaction

REPORT_TABLES = (
    "reports",
    "report_topics",
    "paper_topics",
    "topic_trends",
    "topic_weeks",
    "rising_terms",
    "stories",
    "story_weeks",
)


@dataclass(frozen=True)
class ReportRows:
    """A week's report as table rows (frames with the tables' columns, minus `week`)."""

    week: str
    week_start: date
    papers: int
    summary: str
    topics: pl.DataFrame  # topic_id, label, terms
    assignments: pl.DataFrame  # arxiv_id, topic_id
    trends: pl.DataFrame  # topic_id, horizon, papers, share, baseline_share, growth, score, upvotes
    series: pl.DataFrame  # topic_id, series_week, share
    terms: pl.DataFrame  # horizon, term, count, baseline_count, score, new, per_week, baseline_per_week, growth, ...
    stories: pl.DataFrame | None = None  # story_id, rank, label, terms, horizon, papers, per_week, ... examples
    story_series: pl.DataFrame | None = None  # story_id, series_week, papers (null: no data)
    markdown_path: str | None = None
    html_path: str | None = None


def save_report(con: duckdb.DuckDBPyConnection, rows: ReportRows) -> None:
    """Replace everything stored for `rows.week`; atomic."""
    as_of = data_as_of(con)
    with transaction(con):
        for table in REPORT_TABLES:
            con.execute(f"DELETE FROM {table} WHERE week = ?", [rows.week])
        con.execute(
            "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?)",
            [rows.week, rows.week_start, as_of, rows.papers, rows.summary, rows.markdown_path, rows.html_path],
        )
        frames = {
            "report_topics": rows.topics,
            "paper_topics": rows.assignments,
            "topic_trends": rows.trends,
            "topic_weeks": rows.series,
            "rising_terms": rows.terms,
            "stories": rows.stories,
            "story_weeks": rows.story_series,
        }
        for table, frame in frames.items():
            if frame is not None and frame.height:
                with registered(con, incoming=frame.with_columns(pl.lit(rows.week).alias("week"))):
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")


def report_weeks(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(week, summary) of every stored report, newest first."""
    return con.execute("SELECT week, summary FROM reports ORDER BY week DESC").fetchall()


def data_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The newest fetch in the warehouse."""
    return con.execute("SELECT max(fetched_at) FROM raw_pages").fetchall()[0][0]
