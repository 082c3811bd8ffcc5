import json
import re
from datetime import date
from html import escape

import pytest

from extractors.errors import MalformedPayload, StructureMissing
from extractors.hf_daily_html import parse_daily_page
from extractors.hf_daily_json import parse_daily_api
from tests.factories import OBSERVED, check_golden

DIGEST_PAGE = "papers_date_2024-08-01__slbqc.html"
PAPER_PAGE = "paper_2509.24002__bs4-prettified__reonokiy.html"


def parse(body: bytes, day: str = "2024-08-01"):
    return parse_daily_page(body, digest_date=date.fromisoformat(day), observed_at=OBSERVED, where="test")


@pytest.fixture
def digest_page(fixtures) -> bytes:
    return (fixtures / "hf-pages" / DIGEST_PAGE).read_bytes()


@pytest.mark.parametrize("name", [DIGEST_PAGE, PAPER_PAGE])
def test_pages_match_golden(name, fixtures):
    check_golden(name.removesuffix(".html"), parse((fixtures / "hf-pages" / name).read_bytes()))


def test_digest_page_yields_its_thirteen_papers_with_full_details(digest_page):
    records = parse(digest_page)
    assert len(records) == 13
    assert records[0].title == "The Llama 3 Herd of Models"
    assert records[0].abstract and len(records[0].authors) == 533


def test_page_and_same_day_api_capture_agree_on_shared_papers(digest_page, fixtures):
    page = {r.arxiv_id: r for r in parse(digest_page)}
    api = {
        r.arxiv_id: r
        for r in parse_daily_api(
            (fixtures / "hf-daily-api-samples" / "2024-08-01.json").read_bytes(),
            digest_date=date(2024, 8, 1),
            observed_at=OBSERVED,
        )
    }
    shared = page.keys() & api.keys()
    assert len(shared) == 11
    for arxiv_id in shared:
        assert (page[arxiv_id].title, page[arxiv_id].abstract, page[arxiv_id].authors) == (
            api[arxiv_id].title,
            api[arxiv_id].abstract,
            api[arxiv_id].authors,
        )
        # Saved ten days later, the page has matured counts.
        assert page[arxiv_id].upvotes >= api[arxiv_id].upvotes


def test_cards_are_the_fallback_when_props_are_gone(digest_page):
    without_props = re.sub(rb'data-target="DailyPapers" data-props="[^"]*"', b"", digest_page)
    assert without_props != digest_page
    from_cards, from_props = parse(without_props), parse(digest_page)
    assert [(r.arxiv_id, r.title, r.upvotes, r.comments) for r in from_cards] == [
        (r.arxiv_id, r.title, r.upvotes, r.comments) for r in from_props
    ]
    assert from_cards[0].submitter == "akhaliq" and from_cards[0].abstract is None


@pytest.mark.parametrize("quote", ['"', "'"])
def test_props_are_found_however_the_attribute_is_quoted(quote):
    entries = [{"paper": {"id": "2406.01234", "title": "A > B: it's <x>", "upvotes": 3}, "numComments": 1}]
    props = json.dumps({"dailyPapers": entries})
    value = escape(props, quote=True) if quote == '"' else props.replace("'", "&#x27;")
    html = f'<html><div class="SVELTE_HYDRATER" data-props={quote}{value}{quote} data-target=DailyPapers></div></html>'
    assert [(r.arxiv_id, r.title) for r in parse(html.encode())] == [("2406.01234", "A > B: it's <x>")]


def test_a_page_with_neither_props_nor_cards_is_an_error_not_an_empty_day():
    with pytest.raises(StructureMissing, match="has the page layout changed"):
        parse(b"<html><body><main><p>Daily Papers</p></main></body></html>")


def test_props_that_are_not_json_are_malformed():
    with pytest.raises(MalformedPayload, match="DailyPapers data-props is not valid JSON"):
        parse(b'<div class="SVELTE_HYDRATER" data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;: ["></div>')


def test_explicitly_empty_props_are_a_day_without_papers():
    assert parse(b'<div data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[]}"></div>') == []


def test_a_page_that_says_it_is_another_days_digest_is_refused(digest_page):
    from extractors.errors import PageDateMismatch

    with pytest.raises(PageDateMismatch, match="digest of 2024-08-01, not of 2024-08-02"):
        parse(digest_page, day="2024-08-02")


def test_a_card_with_a_paper_link_but_no_valid_arxiv_id_fails_the_page_as_in_the_props(digest_page):
    from extractors.errors import EntryInvalid

    without_props = re.sub(rb'data-target="DailyPapers" data-props="[^"]*"', b"", digest_page)
    first = re.search(rb'<h3[^>]*>\s*<a[^>]*href="/papers/([^"]+)"', without_props)
    assert first is not None
    broken = without_props.replace(b'href="/papers/' + first.group(1) + b'"', b'href="/papers/not-an-id"')
    with pytest.raises(EntryInvalid, match="card 1"):
        parse(broken)
