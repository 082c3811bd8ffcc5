"""Turns a WeekReport into Markdown, a self-contained HTML page and chart files; also the archive index.

Output is deterministic: the same report gives the same bytes for every file (no timestamps, sorted
mappings, PNGs without metadata), so re-running a week rewrites nothing that a diff would show.
"""

from __future__ import annotations

import base64
import math
import re
from datetime import timedelta
from urllib.parse import quote

import jinja2

from common.text import fold_spaces
from reports import charts, templates
from reports.links import paper_links, paper_page
from reports.locations import MARKDOWN_FILE, REPORT_FILE, report_href
from reports.model import PaperRef, Story, WeekReport
from reports.stories import story_when
from reports.templating import template_environment
from reports.weeks import BASELINE_WEEKS, WEEK_LABEL, iso_week

# Markdown punctuation that could start a link, emphasis, HTML or a table cell inside a text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
# Characters kept as-is in Markdown link targets; spaces, parentheses and brackets would end the link.
_URL_SAFE = ":/?#@!$&'*+,;=%-._~"


def render_markdown(report: WeekReport, charts: dict[str, str]) -> str:
    """The report as Markdown; `charts` maps chart names (topics, volume, spark-…) to relative paths."""
    return _environment(html=False).from_string(templates.MARKDOWN).render(_context(report, charts))


def render_html(report: WeekReport, charts_png: dict[str, bytes]) -> str:
    """The report as one self-contained HTML page: inline CSS, charts as data: URIs, text escaped."""
    context = _context(report, charts_png) | {"title": f"Trending papers, {report.week}"}
    return _environment(html=True).from_string(templates.HTML).render(context)


def render_index(weeks: list[tuple[str, str]]) -> str:
    """A self-contained index page linking each (week label, summary) to '<week>/report.html', newest first.

    Raises ValueError for a week that is not an ISO week label like '2025-W22'.
    """
    wrong = [week for week, _ in weeks if not WEEK_LABEL.match(week)]
    if wrong:
        raise ValueError(f"not ISO week labels (expected like '2025-W22'): {wrong}")
    ordered = sorted(weeks, key=lambda item: item[0], reverse=True)
    return (
        _environment(html=True)
        .from_string(templates.INDEX)
        .render(weeks=ordered, title="Trending papers: weekly reports")
    )


def report_files(report: WeekReport) -> dict[str, bytes]:
    """Every file of a week's report by path relative to its folder: report.md, report.html, charts/*.png."""
    pngs = chart_pngs(report)
    relative = {name: f"charts/{name}.png" for name in pngs}
    files = {path: pngs[name] for name, path in relative.items()}
    files[MARKDOWN_FILE] = render_markdown(report, relative).encode()
    files[REPORT_FILE] = render_html(report, pngs).encode()
    return files


def chart_pngs(report: WeekReport) -> dict[str, bytes]:
    """Every chart of the report by name: the top stories (when there are any), volume, a sparkline per story."""
    pngs = {"volume": charts.volume_chart(report)}
    if report.stories:
        pngs["stories"] = charts.story_chart(report)
    for story in report.stories:
        pngs[spark_name(story)] = charts.sparkline(story.series)
    return pngs


def spark_name(story: Story) -> str:
    """The chart name of a story's sparkline, also its file stem: 'spark-<story id>'."""
    return "spark-" + re.sub(r"[^A-Za-z0-9_-]", "_", story.story_id)  # it becomes part of a file name


def _environment(*, html: bool) -> jinja2.Environment:
    env = template_environment(html=html)
    env.filters.update(
        md=_md,
        mdurl=_md_url,
        pct=_pct,
        num=_num,
        count=_count,
        signed=_signed,
        count_change=_count_change,
        datauri=_data_uri,
    )
    env.globals.update(paper_links=_paper_links, paper_url=_paper_url, spark_name=spark_name, report_href=report_href)
    return env


def _paper_links(paper: PaperRef) -> list[tuple[str, str]]:
    return paper_links(paper.arxiv_id, paper.github_repo)


def _paper_url(paper: PaperRef) -> str | None:
    return paper_page(paper.arxiv_id, paper.sources)


def _context(report: WeekReport, chart_refs: dict) -> dict:
    return {
        "r": report,
        "charts": chart_refs,
        "headline": _headline(report),
        "when": lambda story: story_when(story, report.week),
        "categories": _categories(report),
        "baseline_weeks": BASELINE_WEEKS,
    }


def _headline(report: WeekReport) -> list[dict]:
    """All sources from the report's own totals, then each source with last week and baseline from volume."""
    rows = [
        {
            "source": "All sources",
            "now": report.papers,
            "last": report.last_week_papers,
            "baseline": report.baseline_mean,
        }
    ]
    volume = {(week, source): papers for week, source, papers in report.volume}
    before = [iso_week(report.week_start - timedelta(weeks=n)) for n in range(1, BASELINE_WEEKS + 1)]
    sources = sorted(set(report.papers_by_source) | {source for _, source in volume})
    if len(sources) == 1:
        return rows  # one source: its row would repeat "All sources"
    for source in sources:
        # Without volume there is nothing to compare with; a missing week inside volume counts as 0.
        last = volume.get((before[0], source), 0) if volume else None
        baseline = sum(volume.get((w, source), 0) for w in before) / BASELINE_WEEKS if volume else None
        rows.append(
            {"source": source, "now": report.papers_by_source.get(source, 0), "last": last, "baseline": baseline}
        )
    return rows


def _categories(report: WeekReport) -> list[tuple[str, int, float]]:
    total = sum(report.category_mix.values())
    ordered = sorted(report.category_mix.items(), key=lambda item: (-item[1], item[0]))
    return [(category, papers, papers / total if total else 0.0) for category, papers in ordered]


def _md(text: object) -> str:
    """Text safe inside Markdown (and its tables): one line, punctuation that means something escaped."""
    return _MD_SPECIAL.sub(r"\\\1", fold_spaces(str(text)))


def _md_url(url: str) -> str:
    return quote(url, safe=_URL_SAFE)


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _num(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.1f}"


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def _signed(value: int | None) -> str:
    return "–" if value is None else f"{value:+d}"


def _count_change(value: float | None, now: int) -> str:
    """'380 (+8%)': a comparison number with the change from it to `now`; '–' when unknown."""
    if value is None:
        return "–"
    shown = f"{value:.1f}" if isinstance(value, float) else str(value)
    return f"{shown} ({(now - value) / value:+.0%})" if value else shown


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
