from datetime import date
from pathlib import Path

import pytest

from extractors.arxiv_listing import ListingIncomplete, parse_listing
from extractors.errors import StructureMissing
from tests.factories import OBSERVED, check_golden

SAMPLE = Path(__file__).resolve().parents[1] / "golden" / "arxiv" / "listing_cs.LG_new_sample.html"


def parse(body: bytes, **context):
    return parse_listing(body, digest_date=date(2026, 3, 11), observed_at=OBSERVED, where="test", **context)


def test_sample_page_in_arxivs_template_matches_golden():
    records = parse(SAMPLE.read_bytes())
    check_golden("../arxiv/listing_cs.LG_new_sample", records)
    assert [(r.arxiv_id, r.section) for r in records] == [
        ("2603.08001", "new"),
        ("2603.08002", "new"),
        ("2603.07777", "cross"),
        ("2511.01234", "replacement"),
    ]


def test_entries_carry_the_announcement_date_categories_and_listing():
    first, _, cross, replaced = parse(SAMPLE.read_bytes())
    assert first.digest_date == date(2026, 3, 10)  # from the heading, not the day asked for
    assert first.title == "Test-Time Compute Scaling for Søren's $\\ell_1$ Benchmarks"
    assert first.authors == ("Søren Müller", "Wei Chen") and first.arxiv_comment == "12 pages, 3 figures"
    assert first.categories == ("cs.LG", "cs.CL") and first.listings == ("cs.LG",)
    assert first.abstract == "We study test-time compute. It scales."
    assert cross.categories == ("cs.CV", "cs.LG") and replaced.abstract is None


def test_a_section_with_fewer_entries_than_it_claims_is_an_error():
    short = SAMPLE.read_bytes().replace(
        b"New submissions (showing 2 of 2 entries)", b"New submissions (showing 2 of 3 entries)"
    )
    with pytest.raises(ListingIncomplete, match="new section claims 3 entries but the page holds 2"):
        parse(short)


def test_a_page_without_its_heading_or_sections_is_a_layout_change():
    with pytest.raises(StructureMissing, match="Showing new listings for"):
        parse(SAMPLE.read_bytes().replace(b"Showing new listings", b"Listings"))
    no_sections = b"<div id='dlpage'><h3>Showing new listings for Tuesday, 10 March 2026</h3></div>"
    with pytest.raises(StructureMissing, match="no dl#articles"):
        parse(no_sections)


def test_an_explicit_no_updates_page_is_an_empty_listing():
    page = b"<div id='dlpage'><h3>Showing new listings for Tuesday, 10 March 2026</h3><p>No updates today.</p></div>"
    assert parse(page) == []


def test_the_listing_category_comes_from_the_caller_when_given():
    assert parse(SAMPLE.read_bytes(), category="stat.ML")[0].listings == ("stat.ML",)


def test_pages_rendered_from_real_listing_content_round_trip(fixtures):
    from digest_replay.arxiv_corpus import ArxivCorpus
    from digest_replay.arxiv_pages import render_listing

    corpus = ArxivCorpus(fixtures)
    for day, category in [(date(2026, 3, 10), "cs.CL"), (date(2025, 7, 1), "cs.CV"), (date(2026, 3, 15), "cs.AI")]:
        announced, entries = corpus.listing(day, category)
        records = parse(render_listing(category, announced, entries))
        assert [(r.arxiv_id, r.section) for r in records] == [(row["id"], kind) for row, kind in entries]
        for record, (row, _) in zip(records, entries, strict=True):
            assert record.title == " ".join(row["title"].split())
            assert record.authors == tuple(" ".join(a.split()) for a in row["authors"])
            assert record.categories == tuple(row["categories"])
            assert record.digest_date == announced


def test_the_extractor_keeps_up_with_a_busy_listing(fixtures):
    # Throughput is measured in bench/; here only that a 2,000-entry page parses whole.
    from digest_replay.arxiv_corpus import ArxivCorpus
    from digest_replay.arxiv_pages import render_listing

    corpus = ArxivCorpus(fixtures)
    rows = [(row, "new") for day in corpus.days() for row in corpus.rows(day)][:2000]
    records = parse(render_listing("cs.XX", date(2026, 3, 10), rows))
    assert len(records) == 2000


def test_a_page_cut_before_a_whole_section_is_incomplete():
    body = SAMPLE.read_bytes()
    cut = body[: body.index(b"<dl id='articles'>\n    <h3>Cross")] + b"</div></body></html>"
    with pytest.raises(ListingIncomplete, match="announces 4 entries but holds 2"):
        parse(cut)


def test_an_empty_listing_still_states_its_announcement():
    from extractors.arxiv_listing import parse_listing_page

    page = b"<div id='dlpage'><h3>Showing new listings for Tuesday, 10 March 2026</h3><p>No updates today.</p></div>"
    assert parse_listing_page(page, observed_at=OBSERVED).announced == date(2026, 3, 10)
