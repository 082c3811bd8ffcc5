"""A computed week report as warehouse rows (what `warehouse.report_store.save_report` stores)."""

from __future__ import annotations

import polars as pl

from reports.model import WeekReport
from reports.topics import TopicModel
from warehouse.report_store import ReportRows


def report_rows(
    report: WeekReport, model: TopicModel, *, markdown_path: str | None = None, html_path: str | None = None
) -> ReportRows:
    """The tables' rows for one week; deterministic for a given report and model."""
    topics = pl.DataFrame(
        {
            "topic_id": [t.topic_id for t in model.topics],
            "label": [t.label for t in model.topics],
            "terms": [list(t.terms) for t in model.topics],
        },
        schema={"topic_id": pl.Int32, "label": pl.String, "terms": pl.List(pl.String)},
    )
    trend_fields = ("topic_id", "horizon", "papers", "share", "baseline_share", "growth", "score", "upvotes")
    trends = pl.DataFrame(
        [{f: getattr(t, f) for f in trend_fields} for t in report.rising_topics],
        schema={
            "topic_id": pl.Int32,
            "horizon": pl.String,
            "papers": pl.Int32,
            "share": pl.Float64,
            "baseline_share": pl.Float64,
            "growth": pl.Float64,
            "score": pl.Float64,
            "upvotes": pl.Int32,
        },
    )
    series = pl.DataFrame(
        [
            {"topic_id": t.topic_id, "series_week": w, "share": s}
            for t in report.rising_topics
            if t.horizon == "week"
            for w, s in t.series
        ],
        schema={"topic_id": pl.Int32, "series_week": pl.String, "share": pl.Float64},
    )
    story_of = {name: story.story_id for story in report.stories for name in story.terms}
    terms = pl.DataFrame(
        [
            {
                "horizon": t.horizon,
                "term": t.term,
                "count": t.count,
                "baseline_count": t.baseline_count,
                "score": t.score,
                "new": new,
                "per_week": t.per_week,
                "baseline_per_week": t.baseline_per_week,
                "growth": t.growth,
                "long_form": t.long_form,
                "story_id": story_of.get(t.name),
            }
            for new, group in ((False, report.rising_terms), (True, report.new_terms))
            for t in group
        ],
        schema={
            "horizon": pl.String,
            "term": pl.String,
            "count": pl.Int32,
            "baseline_count": pl.Int32,
            "score": pl.Float64,
            "new": pl.Boolean,
            "per_week": pl.Float64,
            "baseline_per_week": pl.Float64,
            "growth": pl.Float64,
            "long_form": pl.String,
            "story_id": pl.String,
        },
    )
    stories = pl.DataFrame(
        [
            {
                "story_id": s.story_id,
                "rank": rank,
                "label": s.label,
                "terms": list(s.terms),
                "horizon": s.horizon,
                "papers": s.papers,
                "per_week": s.per_week,
                "baseline_per_week": s.baseline_per_week,
                "growth": s.growth,
                "score": s.score,
                "since": s.since,
                "new": s.new,
                "examples": [p.arxiv_id for p in s.examples],
            }
            for rank, s in enumerate(report.stories, start=1)
        ],
        schema={
            "story_id": pl.String,
            "rank": pl.Int32,
            "label": pl.String,
            "terms": pl.List(pl.String),
            "horizon": pl.String,
            "papers": pl.Int32,
            "per_week": pl.Float64,
            "baseline_per_week": pl.Float64,
            "growth": pl.Float64,
            "score": pl.Float64,
            "since": pl.String,
            "new": pl.Boolean,
            "examples": pl.List(pl.String),
        },
    )
    story_series = pl.DataFrame(
        [{"story_id": s.story_id, "series_week": w, "papers": n} for s in report.stories for w, n in s.series],
        schema={"story_id": pl.String, "series_week": pl.String, "papers": pl.Int32},
    )
    summary = " ".join(report.summary[1:2]) or f"{report.papers} papers; nothing rose clearly"
    return ReportRows(
        week=report.week,
        week_start=report.week_start,
        papers=report.papers,
        summary=summary,
        topics=topics,
        assignments=model.assignments.select("arxiv_id", "topic_id").unique("arxiv_id", keep="first").sort("arxiv_id"),
        trends=trends.unique(["topic_id", "horizon"], keep="first", maintain_order=True),
        series=series.unique(["topic_id", "series_week"], keep="first", maintain_order=True),
        terms=terms.unique(["horizon", "term"], keep="first", maintain_order=True),
        stories=stories.unique("story_id", keep="first", maintain_order=True),
        story_series=story_series.unique(["story_id", "series_week"], keep="first", maintain_order=True),
        markdown_path=markdown_path,
        html_path=html_path,
    )
