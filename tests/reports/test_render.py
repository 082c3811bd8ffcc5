import base64
import math
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flows.weekly import write_report_files
from reports.charts import _every_week, sparkline, story_chart, volume_chart
from reports.model import PaperRef, Story, TermTrend, WeekReport
from reports.render import render_html, render_index, render_markdown, spark_name

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WEEKS = tuple(f"2025-W{n:02d}" for n in range(15, 23))
AGENTS = PaperRef(
    "2505.00001",
    "Agents that plan",
    upvotes=120,
    github_repo="https://github.com/org/agents",
    sources=("hf", "arxiv"),
)
DIFFUSION = PaperRef("2505.00002", "Distilled diffusion", upvotes=80, gain=35)
REASONING = PaperRef("2505.00003", "RL for reasoning", upvotes=None, gain=12, github_repo="org/reasoning")
ARXIV_ONLY = PaperRef("2505.00004", "Listed on arXiv only", sources=("arxiv",))


def _story(n, label, horizon, score, examples=(), *, since="2025-W22", new=False, growth=2.54):
    series = tuple((week, n + k) for k, week in enumerate(WEEKS))
    return Story(
        f"{label.lower().replace(' ', '-')}-{since.lower()}",
        label,
        (label, f"{label} models"),
        horizon,
        papers=10 + n,
        per_week=10.0 + n,
        baseline_per_week=2.5,
        growth=growth,
        score=score,
        since=since,
        new=new,
        series=series,
        examples=examples,
    )


def _report(**changes) -> WeekReport:
    fields = {
        "week": "2025-W22",
        "week_start": date(2025, 5, 26),
        "papers": 412,
        "papers_by_source": {"arxiv": 377, "hf": 61},
        "last_week_papers": 380,
        "baseline_mean": 351.5,
        "summary": ["412 papers this week against 351.5 in a usual week (+17%).", "Rising: GRPO (×2.5, this week)."],
        "stories": [
            _story(1, "GRPO", "week", 5.2, (AGENTS, DIFFUSION, ARXIV_ONLY)),
            _story(2, "video diffusion", "momentum", 3.1, (REASONING,), since="2025-W19"),
            _story(3, "OPD (on-policy distillation)", "week", 2.4, (AGENTS,), new=True),
        ],
        "rising_terms": [TermTrend("GRPO", 14, 3, 4.1, "week"), TermTrend("video diffusion", 11, 4, 3.2, "momentum")],
        "new_terms": [TermTrend("OPD", 7, 0, 5.3, "week", long_form="on-policy distillation")],
        "top_papers": [AGENTS, DIFFUSION, REASONING],
        "trending_papers": [DIFFUSION, REASONING],
        "multi_source_papers": [AGENTS],
        "category_mix": {"cs.CL": 40, "cs.LG": 55, "cs.CV": 12},
        "volume": [(week, source, 40 + n) for n, week in enumerate(WEEKS) for source in ("arxiv", "hf")],
        "notes": ["The baseline holds only 3 week(s) of data: growth figures are unreliable."],
    }
    return WeekReport(**(fields | changes))


def _empty_report() -> WeekReport:
    return WeekReport(
        "2025-W22",
        date(2025, 5, 26),
        papers=0,
        papers_by_source={},
        last_week_papers=0,
        baseline_mean=0.0,
        notes=["too little data"],
    )


class _Tags(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def named(self, tag):
        return [attrs for name, attrs in self.tags if name == tag]


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_markdown_opens_with_notes_and_the_summary_then_tells_each_story_with_its_figures_and_papers():
    report = _report()
    story = report.stories[0]
    text = render_markdown(report, {"stories": "charts/stories.png", spark_name(story): "charts/spark-grpo.png"})
    assert (
        text.index("The baseline holds only 3 week(s)")
        < text.index("- 412 papers this week")
        < text.index("## What rose")
    )
    assert "### 1. GRPO" in text and "### 3. OPD (on-policy distillation)" in text
    assert "this week · also: GRPO models" in text
    assert "building for 4 weeks · continuing since 2025-W19" in text and "this week · new this week" in text
    assert "**11** papers a week, against 2.5 before: **2.5× its usual share**" in text
    assert "![papers a week over 26 weeks](charts/spark-grpo.png)" in text
    assert "- [Agents that plan](https://huggingface.co/papers/2505.00001) (120 upvotes)" in text
    # An arXiv-only paper has no HF page: its title links to arXiv.
    assert "- [Listed on arXiv only](https://arxiv.org/abs/2505.00004)" in text
    assert "*Papers a week: papers mentioning the story's first term" in text
    assert "| All sources | 412 | 380 (+8%) | 351.5 (+17%) |" in text
    assert "| arxiv | 377 |" in text and "| hf | 61 |" in text
    assert "[GitHub](https://github.com/org/agents)" in text and "[GitHub](https://github.com/org/reasoning)" in text
    assert text.index("| cs.LG | 55 |") < text.index("| cs.CL | 40 |")
    assert "## Fastest-rising papers" in text and "*Upvotes gained between two sightings" in text


def test_sections_without_data_are_left_out():
    text = render_markdown(_report(stories=[], trending_papers=[], multi_source_papers=[], category_mix={}), {})
    for heading in ("## What rose", "## Fastest-rising papers", "## Seen on more than one source", "category mix"):
        assert heading not in text
    assert "No rising" not in text and "## Top papers of the week" in text and "## Volume" in text


def test_markdown_escapes_titles_so_they_cannot_break_tables_or_links():
    odd = PaperRef("2505.00009", "Pipes | [brackets](x) <b>bold</b>\nand a newline")
    text = render_markdown(_report(top_papers=[odd]), {})
    assert r"Pipes \| \[brackets\](x) \<b\>bold\</b\> and a newline" in text


def test_html_embeds_its_charts_and_references_nothing_external():
    report = _report()
    pngs = {"stories": story_chart(report), "volume": volume_chart(report)}
    pngs |= {spark_name(s): sparkline(s.series) for s in report.stories}
    tags = _Tags(render_html(report, pngs))
    images = tags.named("img")
    assert len(images) == 2 + len(report.stories)
    for image in images:
        assert image["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(image["src"].split(",", 1)[1]).startswith(PNG_SIGNATURE)
    external = [
        (tag, attrs)
        for tag, attrs in tags.tags
        if tag != "a"
        for name in ("src", "href")
        if attrs.get(name, "").lower().startswith(("http:", "https:", "//"))
    ]
    assert external == []
    assert tags.named("script") == [] and tags.named("link") == []
    hrefs = {a["href"] for a in tags.named("a")}
    assert {
        AGENTS.hf_url,
        AGENTS.arxiv_url,
        "https://arxiv.org/abs/2505.00004",
        "https://github.com/org/agents",
        "https://github.com/org/reasoning",
    } <= hrefs


def test_html_escapes_scraped_text_and_drops_non_http_repo_links():
    hostile = PaperRef("2505.00666", "<script>alert(1)</script>", github_repo="javascript:alert(1)")
    html = render_html(_report(top_papers=[hostile], notes=["<b>careful</b>"]), {})
    tags = _Tags(html)
    assert tags.named("script") == [] and tags.named("b") == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;careful&lt;/b&gt;" in html
    assert not any("javascript:" in a["href"] for a in tags.named("a"))


PAPER_LINK = re.compile(r"^https://(?:huggingface\.co/papers|arxiv\.org/abs)/(?P<id>.*)$")


@pytest.mark.parametrize(
    "scraped", ['2505.00666"><script>alert(1)</script>', "javascript:alert(1)", "https://evil.test/2505.00666"]
)
def test_a_scraped_id_that_is_no_arxiv_id_becomes_no_hf_or_arxiv_link(scraped):
    # HF and arXiv links go through reports.links like GitHub's: rebuilt from a valid id, or left out.
    hostile = PaperRef(scraped, "Hostile paper", upvotes=5, github_repo="org/hostile")
    report = _report(top_papers=[hostile], stories=[_story(1, "agents", "week", 5.2, (hostile,))])
    html = render_html(report, {})
    markdown = render_markdown(report, {})
    hrefs = [a["href"] for a in _Tags(html).named("a")]
    targets = re.findall(r"\]\(([^)]*)\)", markdown)
    paper_ids = [m["id"] for link in hrefs + targets if (m := PAPER_LINK.match(link))]
    assert paper_ids and all(re.fullmatch(r"\d{4}\.\d{4,5}", paper_id) for paper_id in paper_ids)
    assert "https://github.com/org/hostile" in hrefs and "[GitHub](https://github.com/org/hostile)" in markdown
    assert "Hostile paper" in html and "Hostile paper" in markdown  # the paper is listed, only without those links


def test_growth_reads_new_without_a_baseline_and_a_dash_when_unknown():
    stories = [_story(1, "agents", "week", 5.2, growth=math.inf), _story(2, "video", "week", 4.1, growth=math.nan)]
    markdown = render_markdown(_report(stories=stories), {})
    assert "before: **new**" in markdown and "before: **share unknown**" in markdown


def test_writing_twice_gives_identical_bytes_for_every_file(tmp_path):
    write_report_files(_report(), tmp_path / "first")
    first = _files(tmp_path / "first")
    write_report_files(_report(), tmp_path / "first")
    write_report_files(_report(), tmp_path / "second")
    assert _files(tmp_path / "first") == first == _files(tmp_path / "second")


def test_written_files_are_named_reports_and_pngs_with_nothing_left_over(tmp_path):
    report = _report()
    paths = write_report_files(report, tmp_path)
    sparks = {spark_name(s) for s in report.stories}
    assert set(paths) == {"markdown", "html", "stories", "volume"} | sparks
    assert paths["markdown"] == tmp_path / "report.md" and paths["html"] == tmp_path / "report.html"
    assert paths["spark-grpo-2025-w22"] == tmp_path / "charts" / "spark-grpo-2025-w22.png"
    assert all(
        path.read_bytes().startswith(PNG_SIGNATURE) for name, path in paths.items() if name not in ("markdown", "html")
    )
    assert sorted(_files(tmp_path)) == sorted(str(p.relative_to(tmp_path)) for p in paths.values())


def test_rewriting_a_week_removes_sparklines_of_stories_no_longer_told(tmp_path):
    write_report_files(_report(), tmp_path)
    report = _report()
    write_report_files(_report(stories=report.stories[:1]), tmp_path)
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "spark-grpo-2025-w22.png",
        "stories.png",
        "volume.png",
    ]


def test_an_empty_report_renders_its_note_and_volume_and_no_empty_sections(tmp_path):
    paths = write_report_files(_empty_report(), tmp_path)
    markdown, html = paths["markdown"].read_text(), paths["html"].read_text()
    assert "> **Note:** too little data" in markdown and "What rose" not in markdown
    assert "too little data" in html and "category mix" not in html and "What rose" not in html
    assert "| All sources | 0 | 0 | 0.0 |" in markdown
    assert set(paths) == {"markdown", "html", "volume"}


def test_a_week_without_data_is_a_gap_in_a_sparkline_and_stays_on_the_volume_axis():
    with_gap = sparkline([("2025-W01", 3), ("2025-W02", None), ("2025-W03", 4)])
    with_zero = sparkline([("2025-W01", 3), ("2025-W02", 0), ("2025-W03", 4)])
    assert with_gap.startswith(PNG_SIGNATURE) and with_gap != with_zero
    assert _every_week(["2024-W52", "2025-W02"]) == ["2024-W52", "2025-W01", "2025-W02"]


def test_charts_draw_labels_with_dollar_signs_and_glyphs_the_font_lacks():
    # filterwarnings=error turns matplotlib's "Glyph missing" warning or a mathtext error into a failure.
    stories = [_story(1, "$1 budget 检索增强 agents", "momentum", 2.0)]
    assert story_chart(_report(stories=stories)).startswith(PNG_SIGNATURE)


def test_charts_without_data_are_small_pngs():
    empty = _empty_report()
    for png in (story_chart(empty), volume_chart(empty), sparkline(()), sparkline([("2025-W01", None)])):
        assert png.startswith(PNG_SIGNATURE) and len(png) < 5000


def test_index_lists_weeks_newest_first_with_relative_links():
    html = render_index([("2025-W09", "301 papers"), ("2025-W22", "412 papers"), ("2024-W52", "")])
    links = [a["href"] for a in _Tags(html).named("a")]
    assert links == ["2025-W22/report.html", "2025-W09/report.html", "2024-W52/report.html"]
    assert "412 papers" in html and "https:" not in html


def test_index_rejects_a_label_that_is_not_an_iso_week():
    with pytest.raises(ValueError, match="2025-22"):
        render_index([("2025-22", "")])
