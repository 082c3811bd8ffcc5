"""Links: what a scraped id or an operator's URL can and cannot become (reports/links.py, for report and email)."""

from __future__ import annotations

import pytest

from reports.links import arxiv_link, github_link, hf_link, paper_links, report_link, unsubscribe_link


@pytest.mark.parametrize(
    ("repo", "link"),
    [
        ("org/agents", "https://github.com/org/agents"),
        ("https://github.com/org/agents", "https://github.com/org/agents"),
        ("http://www.github.com/org/agents.git", "https://github.com/org/agents"),
        ("https://github.com/org/agents/tree/main/src", "https://github.com/org/agents"),
        ('https://evil.test/"><script>alert(1)</script>', None),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("https://github.com.evil.test/org/agents", None),
        ("https://user:pw@github.com/org/agents", None),
        ('org/agents" onerror="alert(1)', None),
        ("../../etc/passwd", None),
        ("", None),
        (None, None),
    ],
)
def test_a_github_link_is_rebuilt_from_a_valid_owner_and_name_or_dropped(repo, link):
    assert github_link(repo) == link


def test_paper_links_are_built_from_valid_arxiv_ids_only():
    assert arxiv_link("2406.01234v2") == "https://arxiv.org/abs/2406.01234"
    assert hf_link("2406.01234") == "https://huggingface.co/papers/2406.01234"
    assert arxiv_link('2406.01234"><script>') is None and hf_link("javascript:alert(1)") is None


def test_operator_links_must_be_https():
    assert report_link("https://papers.example.org/reports/", "2026-W17") == (
        "https://papers.example.org/reports/2026-W17/report.html"
    )
    assert report_link("http://papers.example.org", "2026-W17") is None
    assert unsubscribe_link("https://papers.example.org/unsubscribe", "t" * 24).endswith("?token=" + "t" * 24)
    assert unsubscribe_link("https://papers.example.org/unsubscribe", "bad token") is None


@pytest.mark.parametrize(
    "repo", ["https://github.com:abc/o/r", "https://github.com:99999/o/r", "https://[github.com/o/r"]
)
def test_a_github_url_that_does_not_parse_is_dropped_not_an_error(repo):
    assert github_link(repo) is None


def test_an_operator_url_with_spaces_or_line_breaks_is_refused():
    assert report_link("https://papers.example.org/a b", "2026-W17") is None
    assert unsubscribe_link("https://papers.example.org/u\r\nX: y", "t" * 24) is None


def test_a_paper_has_only_the_links_that_validate():
    assert paper_links("2406.01234", "org/agents") == [
        ("HF", "https://huggingface.co/papers/2406.01234"),
        ("arXiv", "https://arxiv.org/abs/2406.01234"),
        ("GitHub", "https://github.com/org/agents"),
    ]
    assert paper_links('2406.01234"><script>', "javascript:alert(1)") == []


def test_links_take_the_week_and_token_patterns_of_their_one_home():
    from reports.weeks import WEEK_LABEL
    from warehouse.subscribers import TOKEN, new_token

    assert report_link("https://papers.example.org", "2026-W17") and WEEK_LABEL.match("2026-W17")
    assert report_link("https://papers.example.org", "2026-17") is None and not WEEK_LABEL.match("2026-17")
    token = new_token()
    assert TOKEN.match(token) and unsubscribe_link("https://papers.example.org/u", token)
