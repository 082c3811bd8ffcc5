"""The `weekly_report` flow: compute a week's trends, write its files, store its rows."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow

from flows.recording import recorded_run
from flows.settings import Settings
from flows.term_index import refresh_term_index
from reports.model import WeekReport
from reports.render import render_index, write_report_files
from reports.rows import report_rows
from reports.trends import TERM_HISTORY_WEEKS, build_week_report, iso_week, week_start
from warehouse.db import connect
from warehouse.report_store import report_weeks, save_report


def last_complete_week(today: date) -> str:
    """The ISO week before the one `today` is in (a week is complete once its Sunday is over)."""
    return iso_week(today - timedelta(days=today.weekday() + 7))


def last_complete_week_of(end: date) -> str:
    """The last ISO week fully inside data that ends on `end`."""
    return iso_week(end) if end.weekday() == 6 else iso_week(end - timedelta(days=end.weekday() + 1))


@flow(name="weekly-report", validate_parameters=False)
def weekly_report(week: str | None = None, overrides: dict[str, Any] | None = None) -> WeekReport:
    """Compute, write and store the report of `week` (default: the last complete week in the configured zone)."""
    settings = Settings.load(**(overrides or {}))
    label = week or last_complete_week(datetime.now(settings.zone).date())
    out = settings.data_dir / "reports" / label
    with recorded_run(settings, "weekly-report", {"week": label}, loads=False):
        with connect(settings.warehouse_path) as con:
            monday = week_start(label)
            refresh_term_index(con, since=monday - timedelta(weeks=TERM_HISTORY_WEEKS), until=monday + timedelta(days=6))
            report, model = build_week_report(con, monday)
            paths = write_report_files(report, out)
            save_report(con, report_rows(report, model, markdown_path=str(paths["markdown"]),
                                         html_path=str(paths["html"])))
            weeks = report_weeks(con)
        _write_index(settings.data_dir / "reports", weeks)
    return report


def _write_index(root: Path, weeks: list[tuple[str, str]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(render_index(weeks), encoding="utf-8")
