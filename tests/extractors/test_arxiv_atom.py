import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

from extractors.arxiv_atom import ApiErrorFeed, error_message, feed_total, parse_atom
from extractors.errors import MalformedPayload
from tests.factories import FIXTURES, OBSERVED

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "arxiv"
ATOM = FIXTURES / "arxiv-atom"
FEEDS = sorted(p for p in ATOM.rglob("*") if p.suffix in (".xml", ".json")) if ATOM.is_dir() else []


def body_of(path: Path) -> tuple[bytes, int]:
    """A capture's body and HTTP status. The 2026 recordings stored the UTF-8 body decoded as
    Latin-1 (mojibake such as 'Î±' for 'α'); encoding back to Latin-1 restores the bytes sent."""
    if path.suffix == ".xml":
        return path.read_bytes(), 200
    recording = json.loads(path.read_text())
    try:
        return recording["body"].encode("latin-1"), recording["status_code"]
    except UnicodeEncodeError:
        return recording["body"].encode("utf-8"), recording["status_code"]


def golden_name(path: Path) -> str:
    return f"{path.parent.name}__{path.stem}".replace("=", "_").replace("+", "_")


@pytest.mark.parametrize("feed", FEEDS, ids=lambda p: p.name)
def test_every_atom_capture_matches_golden(feed, fixtures):
    body, status = body_of(feed)
    if status == 400:
        with pytest.raises(ApiErrorFeed, match="arXiv API error: incorrect id format for abc"):
            parse_atom(body, observed_at=OBSERVED)
        return
    page = parse_atom(body, observed_at=OBSERVED)
    actual = json.loads(
        json.dumps(
            {
                "total": page.total,
                "start": page.start,
                "per_page": page.per_page,
                "records": [asdict(r) for r in page.records],
            },
            default=str,
        )
    )
    golden = GOLDEN / f"{golden_name(feed)}.expected.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n")
    assert actual == json.loads(golden.read_text())


def test_there_is_a_golden_file_for_every_capture(fixtures):
    assert len(FEEDS) == 26
    assert {golden_name(f) for f in FEEDS if body_of(f)[1] == 200} == {
        p.name.removesuffix(".expected.json") for p in GOLDEN.glob("*.expected.json") if "__" in p.name
    }


def test_legacy_and_versioned_ids_are_canonical(fixtures):
    legacy = parse_atom(
        body_of(ATOM / "recorded-2026-arxiv.py" / "id_astro-ph_0601001_s0_m100_3150dca9dc76.json")[0],
        observed_at=OBSERVED,
    ).records[0]
    versioned = parse_atom(
        body_of(ATOM / "legacy-2016-arxiv.py" / "id_list=1111.2011v2.xml")[0], observed_at=OBSERVED
    ).records[0]
    assert (legacy.arxiv_id, legacy.version) == ("astro-ph/0601001", 1)
    assert (versioned.arxiv_id, versioned.version, versioned.categories[0]) == ("1111.2011", 2, "cond-mat.str-el")
    assert "\n" not in versioned.title and versioned.title.startswith("Quantum Criticality for Extended Nodes")


def test_paging_counters_and_ranks_continue_across_pages(fixtures):
    recorded = ATOM / "recorded-2026-arxiv.py"
    first = parse_atom(body_of(recorded / "q_testing_s0_m10_bc5a6c384fe9.json")[0], observed_at=OBSERVED)
    second = parse_atom(body_of(recorded / "q_testing_s10_m10_34e56e15aaac.json")[0], observed_at=OBSERVED)
    wide = parse_atom(body_of(recorded / "q_testing_s0_m15_80c242b59d59.json")[0], observed_at=OBSERVED)
    assert (first.total, first.start, first.per_page, second.start) == (214881, 0, 10, 10)
    assert [r.rank for r in second.records] == list(range(11, 21))
    assert [r.arxiv_id for r in first.records + second.records][:15] == [r.arxiv_id for r in wide.records]


def test_the_recorded_mojibake_is_undone_by_the_latin1_round_trip(fixtures):
    page = parse_atom(
        body_of(ATOM / "recorded-2026-arxiv.py" / "q_testing_s10_m10_34e56e15aaac.json")[0], observed_at=OBSERVED
    )
    assert "α" in page.records[0].abstract and "Î±" not in page.records[0].abstract


def test_an_empty_result_is_an_empty_page(fixtures):
    page = parse_atom(
        body_of(ATOM / "recorded-2026-arxiv.py" / "id_0000.0000_s0_m100_8b51d9633a68.json")[0], observed_at=OBSERVED
    )
    assert (page.total, page.records) == (0, [])


def test_the_error_feed_and_the_totals_helpers(fixtures):
    error = body_of(ATOM / "recorded-2026-arxiv.py" / "id_abc_s0_m100_b79c8dcf6bc3.json")[0]
    assert error_message(error) == "arXiv API error: incorrect id format for abc"
    assert feed_total(body_of(ATOM / "legacy-2016-arxiv.py" / "search_query=au_del_maestro.xml")[0]) == 31
    assert error_message(b"<html/>") is None and feed_total(b"not xml") is None


@pytest.mark.parametrize("body, message", [(b"<feed", "not XML"), (b"<html></html>", "not an Atom feed")])
def test_bodies_that_are_not_atom_are_malformed(body, message):
    with pytest.raises(MalformedPayload, match=message):
        parse_atom(body, observed_at=OBSERVED)
