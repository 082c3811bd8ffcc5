"""Where the weekly reports live: <data_dir>/reports/<week>/report.html (and report.md, charts/), an index beside.

The same layout is what the operator publishes at [email] report_url, so a
report's address there (reports.links.report_link) and the index's links use
report_href() too.
"""

from __future__ import annotations

from pathlib import Path

REPORTS_FOLDER = "reports"  # under the data directory
REPORT_FILE = "report.html"
MARKDOWN_FILE = "report.md"
INDEX_FILE = "index.html"


def reports_folder(data_dir: Path) -> Path:
    """The folder of every week's report and the index."""
    return data_dir / REPORTS_FOLDER


def week_folder(data_dir: Path, week: str) -> Path:
    """The folder of one week's report files."""
    return reports_folder(data_dir) / week


def report_path(data_dir: Path, week: str) -> Path:
    """A week's HTML report."""
    return week_folder(data_dir, week) / REPORT_FILE


def index_path(data_dir: Path) -> Path:
    """The index page of every week's report."""
    return reports_folder(data_dir) / INDEX_FILE


def report_href(week: str) -> str:
    """A week's HTML report relative to the reports folder: the index's link to it, and its path where published."""
    return f"{week}/{REPORT_FILE}"
