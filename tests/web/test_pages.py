"""The browse pages, search and feeds over a real snapshot and search index (Starlette's test client)."""

from __future__ import annotations

from urllib.parse import urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

from tests.factories import HOSTILE_ABSTRACT, HOSTILE_AUTHOR, HOSTILE_ID, HOSTILE_TITLE
from tests.web.conftest import web_settings
from warehouse.paths import search_index_path
from warehouse.search_index import SearchIndex, SearchTimeout
from web.app import create_app

OUR_HOSTS = {"huggingface.co", "arxiv.org", "github.com"}


@pytest.fixture(scope="module")
def client(built_site):
    with TestClient(create_app(web_settings(built_site[0]))) as client:
        yield client


def inert(html: str) -> list[str]:
    """What in `html` could run or lead somewhere we did not build: scripts, handlers, foreign or script links."""
    soup = BeautifulSoup(html, "html.parser")
    found = [f"<{t.name}>" for t in soup.find_all(["script", "iframe", "object", "embed", "base"])]
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            if name.lower().startswith("on"):
                found.append(f"{tag.name} {name}")
            if name in ("href", "src", "action"):
                parts = urlsplit(str(value))
                if parts.scheme not in ("", "https") or (parts.netloc and parts.hostname not in OUR_HOSTS):
                    found.append(f"{tag.name} {name}={value}")
                if not parts.netloc and not str(value).startswith("/"):
                    found.append(f"{tag.name} {name}={value}")
    return found


def test_every_page_answers_with_the_security_headers(client, built_site):
    week = built_site[1][-1]
    for url in ("/", "/weeks", f"/weeks/{week}", "/search?q=model", f"/papers/{HOSTILE_ID}", "/subscribe"):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_home_is_the_latest_week_with_its_stories_and_top_papers(client, built_site):
    older, latest = built_site[1]
    soup = BeautifulSoup(client.get("/").text, "html.parser")
    assert latest in soup.h1.text
    stories = soup.select("section.story")
    assert stories and all(s.select(".chart rect") for s in stories)  # each story with its series
    assert soup.select("ol.papers li.paper")
    assert soup.find("a", href=f"/weeks/{older}")  # the older week is one click away
    assert soup.find("link", type="application/atom+xml")["href"] == "/feeds/weeks.atom"


def test_a_story_page_shows_its_series_over_the_year_and_its_papers(client):
    home = BeautifulSoup(client.get("/").text, "html.parser")
    href = home.select_one("section.story h3 a")["href"]
    soup = BeautifulSoup(client.get(href).text, "html.parser")
    assert len(soup.select(".chart rect")) >= 5  # 52 weeks, gaps and zeros not drawn
    assert "Rising since" in soup.text
    assert soup.select("ul.papers li.paper a.title")


def test_hostile_scraped_strings_render_inert_on_every_page(client, built_site):
    pages = ["/", f"/weeks/{built_site[1][-1]}", f"/papers/{HOSTILE_ID}", "/search?q=zyxquorp"]
    home = BeautifulSoup(client.get("/").text, "html.parser")
    pages += [a["href"] for a in home.select("section.story h3 a")]
    shown = 0
    for url in pages:
        html = client.get(url).text
        assert inert(html) == [], url
        shown += "Zyxquorp" in html
    assert shown >= 3  # the hostile paper is on the week, its own page and the search: shown, as text
    paper = BeautifulSoup(client.get(f"/papers/{HOSTILE_ID}").text, "html.parser")
    assert paper.h1.text == HOSTILE_TITLE and HOSTILE_AUTHOR in paper.text and HOSTILE_ABSTRACT in paper.text
    assert not paper.find("a", string="GitHub")  # a javascript: repository is no link at all


def test_search_finds_a_paper_by_a_word_of_its_abstract_ranked_and_paged(client):
    soup = BeautifulSoup(client.get("/search?q=Zyxquorp").text, "html.parser")
    assert [a["href"] for a in soup.select("ol.results a.title")] == [f"/papers/{HOSTILE_ID}"]
    assert soup.select_one("ol.results mark").text.lower() == "zyxquorp"
    first = BeautifulSoup(client.get("/search?q=model").text, "html.parser")
    second = BeautifulSoup(client.get("/search?q=model&page=2").text, "html.parser")
    ids = [a["href"] for a in first.select("ol.results a.title")]
    assert len(ids) == 20 and not set(ids) & {a["href"] for a in second.select("ol.results a.title")}
    assert first.find("a", string="next →")["href"] == "/search?q=model&page=2"


@pytest.mark.parametrize("query", ['"unbalanced', "title:x OR", "NEAR(a b)", "*", "a AND NOT b -c", "'; DROP TABLE"])
def test_search_syntax_typed_by_people_is_plain_words(client, query):
    assert client.get("/search", params={"q": query}).status_code == 200


def test_an_oversize_search_is_refused_with_a_clear_message(client):
    response = client.get("/search", params={"q": "word " * 60})
    assert response.status_code == 400 and "longer than 200 characters" in response.text
    assert client.get("/search", params={"q": "x" * 2000}).status_code == 414  # the whole query string capped


def test_a_search_that_runs_out_of_time_stops_cleanly(built_site):
    index = SearchIndex(search_index_path(built_site[0] / "warehouse.duckdb"))
    with pytest.raises(SearchTimeout, match="longer than"):
        index.search("model data learning", limit=20, timeout=1e-9)


def test_feeds_are_valid_atom_linking_to_our_pages(client):
    weeks = feedparser.parse(client.get("/feeds/weeks.atom").content)
    assert not weeks.bozo and weeks.version == "atom10" and len(weeks.entries) == 2
    assert all(e.link.startswith("http://127.0.0.1:8000/weeks/") for e in weeks.entries)
    found = feedparser.parse(client.get("/feeds/search.atom", params={"q": "zyxquorp"}).content)
    assert not found.bozo and [e.link for e in found.entries] == [f"http://127.0.0.1:8000/papers/{HOSTILE_ID}"]
    assert found.entries[0].title == HOSTILE_TITLE  # the title as text, escaped in the XML
    search_page = BeautifulSoup(client.get("/search?q=zyxquorp").text, "html.parser")
    assert search_page.find("a", href="/feeds/search.atom?q=zyxquorp")


@pytest.mark.parametrize(
    "url", ["/weeks/2001-W01", "/weeks/not-a-week", "/papers/9999.99999", "/papers/javascript:x", "/stories/NOPE", "/x"]
)
def test_unknown_pages_are_404_with_a_way_back(client, url):
    response = client.get(url)
    assert response.status_code == 404 and 'href="/"' in response.text


def test_a_republished_snapshot_is_read_without_a_restart(site_dir):
    from flows.run import publish_snapshot
    from warehouse.db import connect

    settings = web_settings(site_dir)
    with TestClient(create_app(settings)) as client:
        assert client.get("/weeks").text.count("papers") >= 2
        with connect(settings.warehouse_path) as con:
            con.execute("DELETE FROM reports WHERE week = (SELECT min(week) FROM reports)")
        publish_snapshot(settings)
        soup = BeautifulSoup(client.get("/weeks").text, "html.parser")
        assert len(soup.select("ul.weeks li")) == 1


def test_before_anything_is_published_the_pages_say_so(tmp_path):
    with TestClient(create_app(web_settings(tmp_path / "data"))) as client:
        home = client.get("/")
        found = client.get("/search?q=agents")
        feed = client.get("/feeds/search.atom?q=agents")
    assert home.status_code == 503 and "no snapshot" in home.text and "papertrend demo" in home.text
    assert found.status_code == 503 and "not built yet" in found.text
    assert feed.status_code == 503


def test_web_on_a_taken_port_is_one_line_and_exit_2(tmp_path):
    import socket

    from typer.testing import CliRunner

    from papertrend.cli import app

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["web", "--port", str(port), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.output + result.stderr and result.stdout == ""


def test_connections_to_web_send_without_waiting_for_acks():
    """Accepted connections have TCP_NODELAY: without it every keep-alive response waited ~40 ms for the client's
    delayed ACK (measured: 44 ms a page on one connection, 1.4 ms with it)."""
    import socket

    from papertrend.web_cli import listen

    with listen("127.0.0.1", 0) as listening, socket.create_connection(listening.getsockname()):
        accepted, _ = listening.accept()
        with accepted:  # the server's side of the connection
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
