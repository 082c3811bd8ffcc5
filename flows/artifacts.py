"""What a run shows in Prefect's UI (and API): a table artifact per ingest, a Markdown one per weekly report.

Artifacts are attached only inside a Prefect flow run; a direct call of a step
(tests, the demo's helpers) has no run to attach them to. Keys are stable
("ingest-counts", "weekly-report"), so the UI also shows the latest of each.
"""

from __future__ import annotations

import re

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import FlowRunContext

from reports.model import WeekReport
from warehouse.runs import RunCounts

INGEST_KEY = "ingest-counts"
REPORT_KEY = "weekly-report"


def publish_ingest_counts(flow: str, sources: list[str], counts: RunCounts) -> None:
    """One row per run of `flow` over `sources` (a deployment's run covers one source): pages fetched, new
    papers, updated sightings, quarantined pages."""
    if FlowRunContext.get() is None:
        return
    create_table_artifact(
        key=INGEST_KEY,
        table=[
            {
                "sources": ", ".join(sources) or "none",
                "pages fetched": counts.pages_fetched,
                "new papers": counts.new_papers,
                "new sightings": counts.new_sightings,
                "updated sightings": counts.updated_sightings,
                "quarantined": counts.pages_quarantined,
            }
        ],
        description=f"{flow}: what this run fetched and loaded",
    )


def publish_report_summary(report: WeekReport, where: str) -> None:
    """The week's three-line summary and where its report is (a path, or the web page's URL)."""
    if FlowRunContext.get() is None:
        return
    lines = "\n".join(f"- {_plain(line)}" for line in report.summary) or "- nothing rose clearly"
    create_markdown_artifact(
        key=REPORT_KEY,
        markdown=f"# papertrend {report.week}\n\n{report.papers} papers.\n\n{lines}\n\nReport: `{where}`\n",
        description=f"weekly report {report.week}",
    )


def _plain(text: str) -> str:
    """Scraped text (titles in the summary) as Markdown that renders as that text: no link, image or HTML."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~])", r"\\\1", text)
