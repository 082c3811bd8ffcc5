import base64
import math
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flows.weekly import write_report_files
from reports.charts import rising_topics, sparkline, topic_share_chart, volume_chart
from reports.model import PaperRef, TermTrend, TopicTrend, WeekReport
from reports.render import render_html, render_index, render_markdown

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WEEKS = tuple(f"2025-W{n:02d}" for n in range(15, 23))
AGENTS = PaperRef(
    "2505.00001",
    "Agents that plan",
    upvotes=120,
    github_repo="https://github.com/org/agents",
    sources=("hf_daily", "arxiv"),
)
DIFFUSION = PaperRef("2505.00002", "Distilled diffusion", upvotes=80, gain=35)
REASONING = PaperRef("2505.00003", "RL for reasoning", upvotes=None, gain=12, github_repo="org/reasoning")


def _topic(topic_id, label, horizon, score, top_papers=()):
    series = tuple((week, 0.01 * topic_id + 0.004 * n) for n, week in enumerate(WEEKS))
    return TopicTrend(
        topic_id,
        label,
        tuple(label.split()),
        horizon,
        papers=10 + topic_id,
        share=0.061,
        baseline_share=0.024,
        growth=2.54,
        score=score,
        upvotes=300 + topic_id,
        series=series,
        top_papers=top_papers,
    )


def _report(**changes) -> WeekReport:
    fields = {
        "week": "2025-W22",
        "week_start": date(2025, 5, 26),
        "papers": 412,
        "papers_by_source": {"arxiv": 377, "hf_daily": 61},
        "last_week_papers": 380,
        "baseline_mean": 351.5,
        "topics": [
            _topic(1, "test-time compute scaling", "week", 5.2, (AGENTS, DIFFUSION)),
            _topic(2, "video diffusion", "week", 3.1, (REASONING,)),
            _topic(3, "agentic web browsing", "momentum", 4.4, (AGENTS,)),
        ],
        "rising_terms": [TermTrend("test-time compute", 14, 3, 4.1, "week"), TermTrend("grpo", 11, 4, 3.2, "momentum")],
        "new_terms": [TermTrend("vibe coding", 7, 0, 5.3, "week")],
        "top_papers": [AGENTS, DIFFUSION, REASONING],
        "trending_papers": [DIFFUSION, REASONING],
        "multi_source_papers": [AGENTS],
        "category_mix": {"cs.CL": 40, "cs.LG": 55, "cs.CV": 12},
        "volume": [(week, source, 40 + n) for n, week in enumerate(WEEKS) for source in ("arxiv", "hf_daily")],
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


def test_markdown_shows_notes_first_then_headline_numbers_topics_terms_and_links():
    text = render_markdown(
        _report(),
        {"topics": "charts/topics.png", "volume": "charts/volume.png", "spark-1-week": "charts/spark-1-week.png"},
    )
    assert text.index("The baseline holds only 3 week(s)") < text.index("## Headline numbers")
    assert "| All sources | 412 | 380 (+8%) | 351.5 (+17%) |" in text
    assert "| arxiv | 377 |" in text and "| hf\\_daily | 61 |" in text
    for label in ("test-time compute scaling", "video diffusion", "agentic web browsing"):
        assert label in text
    for term in ("test-time compute", "grpo", "vibe coding"):
        assert f"| {term} |" in text
    assert "(https://huggingface.co/papers/2505.00001)" in text
    assert "(https://arxiv.org/abs/2505.00002)" in text
    assert "[GitHub](https://github.com/org/agents)" in text and "[GitHub](https://github.com/org/reasoning)" in text
    assert "![Papers per week by source](charts/volume.png)" in text and "(charts/spark-1-week.png)" in text
    assert "| 6.1% | 2.4% | 2.5× | 5.2 | 301 |" in text
    assert text.index("| cs.LG | 55 |") < text.index("| cs.CL | 40 |")


def test_markdown_escapes_titles_so_they_cannot_break_tables_or_links():
    odd = PaperRef("2505.00009", "Pipes | [brackets](x) <b>bold</b>\nand a newline")
    text = render_markdown(_report(top_papers=[odd]), {})
    assert r"Pipes \| \[brackets\](x) \<b\>bold\</b\> and a newline" in text


def test_html_embeds_its_charts_and_references_nothing_external():
    report = _report()
    pngs = {"topics": topic_share_chart(report), "volume": volume_chart(report)}
    pngs |= {f"spark-{t.topic_id}-{t.horizon}": sparkline(t.series) for t in report.topics}
    tags = _Tags(render_html(report, pngs))
    images = tags.named("img")
    assert len(images) == 2 + len(report.topics)
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
    report = _report(top_papers=[hostile], topics=[_topic(1, "agents", "week", 5.2, (hostile,))])
    html = render_html(report, {})
    markdown = render_markdown(report, {})
    hrefs = [a["href"] for a in _Tags(html).named("a")]
    targets = re.findall(r"\]\(([^)]*)\)", markdown)
    paper_ids = [m["id"] for link in hrefs + targets if (m := PAPER_LINK.match(link))]
    assert paper_ids and all(re.fullmatch(r"\d{4}\.\d{4,5}", paper_id) for paper_id in paper_ids)
    assert "https://github.com/org/hostile" in hrefs and "[GitHub](https://github.com/org/hostile)" in markdown
    assert "Hostile paper" in html and "Hostile paper" in markdown  # the paper is listed, only without those links


def test_growth_reads_new_without_a_baseline_and_a_dash_when_unknown():
    topics = [_topic(1, "agents", "week", 5.2), _topic(2, "video", "week", 4.1)]
    topics = [replace(topics[0], growth=math.inf), replace(topics[1], growth=math.nan)]
    markdown = render_markdown(_report(topics=topics), {})
    assert "| 6.1% | 2.4% | new | 5.2 |" in markdown and "| 6.1% | 2.4% | – | 4.1 |" in markdown


def test_writing_twice_gives_identical_bytes_for_every_file(tmp_path):
    write_report_files(_report(), tmp_path / "first")
    first = _files(tmp_path / "first")
    write_report_files(_report(), tmp_path / "first")
    write_report_files(_report(), tmp_path / "second")
    assert _files(tmp_path / "first") == first == _files(tmp_path / "second")


def test_written_files_are_named_reports_and_pngs_with_nothing_left_over(tmp_path):
    paths = write_report_files(_report(), tmp_path)
    assert set(paths) == {"markdown", "html", "topics", "volume", "spark-1-week", "spark-2-week", "spark-3-momentum"}
    assert paths["markdown"] == tmp_path / "report.md" and paths["html"] == tmp_path / "report.html"
    assert paths["spark-3-momentum"] == tmp_path / "charts" / "spark-3-momentum.png"
    assert all(
        path.read_bytes().startswith(PNG_SIGNATURE) for name, path in paths.items() if name not in ("markdown", "html")
    )
    assert sorted(_files(tmp_path)) == sorted(str(p.relative_to(tmp_path)) for p in paths.values())


def test_rewriting_a_week_removes_sparklines_of_topics_no_longer_reported(tmp_path):
    write_report_files(_report(), tmp_path)
    report = _report()
    write_report_files(_report(topics=report.topics[:1]), tmp_path)
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == ["spark-1-week.png", "topics.png", "volume.png"]


def test_an_empty_report_renders_and_shows_its_note(tmp_path):
    paths = write_report_files(_empty_report(), tmp_path)
    markdown, html = paths["markdown"].read_text(), paths["html"].read_text()
    assert "> **Note:** too little data" in markdown and "No rising topics this week." in markdown
    assert "too little data" in html and "category mix" not in html
    assert "| All sources | 0 | 0 | 0.0 |" in markdown
    assert paths["topics"].read_bytes().startswith(PNG_SIGNATURE)
    assert set(paths) == {"markdown", "html", "topics", "volume"}


def test_the_topic_chart_prefers_momentum_topics_and_shows_at_most_five():
    topics = [_topic(n, f"topic {n}", "momentum" if n < 7 else "week", score=n) for n in range(10)]
    assert [t.topic_id for t in rising_topics(topics)] == [6, 5, 4, 3, 2]
    assert [t.topic_id for t in rising_topics([t for t in topics if t.horizon == "week"])] == [9, 8, 7]


def test_charts_draw_labels_with_dollar_signs_and_glyphs_the_font_lacks():
    # filterwarnings=error turns matplotlib's "Glyph missing" warning or a mathtext error into a failure.
    topics = [_topic(1, "$1 budget 检索增强 agents", "momentum", 2.0)]
    assert topic_share_chart(_report(topics=topics)).startswith(PNG_SIGNATURE)


def test_charts_without_data_are_small_pngs():
    empty = _empty_report()
    for png in (topic_share_chart(empty), volume_chart(empty), sparkline(())):
        assert png.startswith(PNG_SIGNATURE) and len(png) < 5000


def test_index_lists_weeks_newest_first_with_relative_links():
    html = render_index([("2025-W09", "301 papers"), ("2025-W22", "412 papers"), ("2024-W52", "")])
    links = [a["href"] for a in _Tags(html).named("a")]
    assert links == ["2025-W22/report.html", "2025-W09/report.html", "2024-W52/report.html"]
    assert "412 papers" in html and "https:" not in html


def test_index_rejects_a_label_that_is_not_an_iso_week():
    with pytest.raises(ValueError, match="2025-22"):
        render_index([("2025-22", "")])
