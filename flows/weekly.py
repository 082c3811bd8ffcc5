"""The `weekly_report` flow: compute a week's trends, write its files, store its rows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from prefect import flow

from common.names import Cadence
from common.sources import enabled_sources
from flows.alerts import alert_ops
from flows.artifacts import publish_report_summary
from flows.email import send_summaries
from flows.files import write_atomically
from flows.indexing import refresh_phrase_index
from flows.run import newest_digest_day, recorded_run, run_name
from flows.settings import Settings, run_settings
from reports import links
from reports.errors import NothingToReport
from reports.locations import MARKDOWN_FILE, REPORT_FILE, index_path, week_folder
from reports.model import WeekReport
from reports.render import render_index, report_files
from reports.rows import report_rows
from reports.trends import build_week_report
from reports.week_inputs import TERM_HISTORY_WEEKS
from reports.weeks import default_report_week, week_start
from warehouse import queries
from warehouse.db import connect
from warehouse.report_store import report_weeks, save_report

# Sparkline files are named per topic; those of an earlier run of the week that are gone are removed.
STALE_CHARTS = "charts/spark-*.png"


@flow(
    name="weekly-report",
    validate_parameters=False,
    flow_run_name=run_name("weekly-report {week}", week=lambda: _latest_week_label()),
    on_failure=[alert_ops],
)
def weekly_report(week: str | None = None) -> WeekReport:
    """Compute, write and store the report of `week` (default: the newest complete week in which every
    enabled source has digests)."""
    settings = run_settings()
    label, monday = _week_with_data(settings, week)
    out = week_folder(settings.data_dir, label)
    with recorded_run(settings, "weekly-report", {"week": label}, loads=False):
        with connect(settings.warehouse_path) as con:
            refresh_phrase_index(
                con, since=monday - timedelta(weeks=TERM_HISTORY_WEEKS), until=monday + timedelta(days=6)
            )
            report, model = build_week_report(con, monday)
        # Rendering and writing files happen with no connection open: other writers need not wait.
        paths = write_report_files(report, out)
        with connect(settings.warehouse_path) as con:
            save_report(
                con, report_rows(report, model, markdown_path=str(paths["markdown"]), html_path=str(paths["html"]))
            )
            weeks = report_weeks(con)
        publish_report_summary(report, links.web_link(settings.web_base_url, f"/weeks/{label}") or str(paths["html"]))
        write_atomically(index_path(settings.data_dir), render_index(weeks).encode("utf-8"))
        if settings.email_send_with_report:
            send_summaries(settings, Cadence.WEEKLY, label, report)
    return report


def _latest_week_label() -> str:
    """The week a run without one will report, for its name (a scheduled run's): see _default_week."""
    try:
        return _week_with_data(run_settings(), None)[0]
    except NothingToReport:
        return "latest complete"  # the run itself says why there is nothing to report


def _week_with_data(settings: Settings, week: str | None) -> tuple[str, date]:
    """The week to report (default: _default_week) and its Monday.

    Raises NothingToReport rather than writing an empty report into the archive index.
    """
    monday = week_start(week) if week else None  # a bad label fails before anything is opened
    newest = newest_digest_day(settings)
    with connect(settings.warehouse_path) as con:
        label = week or _default_week(settings, queries.digest_weeks(con), newest)
        monday = monday or week_start(label)
        if queries.week_paper_count(con, monday) == 0:
            raise NothingToReport(f"no paper was first listed in {label} (the data ends on {newest})")
    return label, monday


def _default_week(settings: Settings, weeks: dict[str, set[date]], newest: date) -> str:
    """The newest complete week every enabled source that has data has digests in (reports.weeks)."""
    enabled = set(enabled_sources(hf=settings.hf_enabled, arxiv=settings.arxiv_enabled))
    chosen = {source: days for source, days in weeks.items() if source in enabled} or weeks
    week = default_report_week(chosen, newest)
    if week is None:
        raise NothingToReport(
            f"no complete week has digests from every enabled source ({', '.join(sorted(chosen))}; "
            f"the data ends on {newest})"
        )
    return week


def write_report_files(report: WeekReport, out_dir: Path) -> dict[str, Path]:
    """Write a week's report.md, report.html and charts/*.png under `out_dir` atomically; return paths by name.

    Names are "markdown", "html" and the chart names ("stories", "volume", "spark-<story id>").
    """
    written = {relative: write_atomically(out_dir / relative, data) for relative, data in report_files(report).items()}
    for stale in sorted(set(out_dir.glob(STALE_CHARTS)) - set(written.values())):
        stale.unlink()
    paths = {path.stem: path for relative, path in written.items() if relative.startswith("charts/")}
    return paths | {"markdown": written[MARKDOWN_FILE], "html": written[REPORT_FILE]}
