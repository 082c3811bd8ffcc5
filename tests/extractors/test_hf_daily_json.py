import csv
import gzip
import json
from datetime import date, datetime

import pytest

from extractors.errors import EntryInvalid, MalformedPayload
from extractors.hf_daily_json import parse_daily_api
from tests.factories import FIXTURES, OBSERVED, check_golden

SAMPLES = sorted((FIXTURES / "hf-daily-api-samples").glob("*.json"))


def parse(body: bytes, day: str = "2026-04-10"):
    return parse_daily_api(body, digest_date=date.fromisoformat(day), observed_at=OBSERVED, where="test")


def test_every_capture_of_every_schema_era_extracts(fixtures):
    with open(fixtures / "hf-daily-api" / "MANIFEST.tsv") as handle:
        manifest = {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}
    ids, total = set(), 0
    for path in sorted((fixtures / "hf-daily-api").glob("*.json.gz")):
        records = parse(gzip.decompress(path.read_bytes()), path.name[:10])
        assert len(records) == int(manifest[path.name]["entries"]), path.name
        assert [r.rank for r in records] == list(range(1, len(records) + 1))
        assert all(r.title and r.abstract and r.authors for r in records), path.name
        total += len(records)
        ids |= {r.arxiv_id for r in records}
    assert (len(manifest), total, len(ids)) == (501, 7876, 7875)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_samples_match_golden(sample, fixtures):
    check_golden(sample.stem, parse(sample.read_bytes(), sample.name[:10]))


def test_repr_string_capture_is_recovered_exactly(fixtures):
    recovered = parse((fixtures / "hf-daily-api-samples" / "2024-12-11.json").read_bytes(), "2024-12-11")
    assert len(recovered) == 26
    assert recovered[0].arxiv_id == "2412.07730"
    assert recovered[0].authors[:2] == ("Zongyu Lin", "Wei Liu")


def test_wrapper_dict_is_unwrapped_and_its_count_checked(fixtures):
    body = json.loads((fixtures / "hf-daily-api-samples" / "2025-01-10.json").read_bytes())
    assert len(parse(json.dumps(body).encode(), "2025-01-10")) == body["count"] == 9
    body["count"] = 10
    with pytest.raises(MalformedPayload, match="count=10 but holds 9"):
        parse(json.dumps(body).encode(), "2025-01-10")


def test_hard_wrapped_titles_are_joined(fixtures):
    records = parse((fixtures / "hf-daily-api-samples" / "2024-05-27.json").read_bytes(), "2024-05-27")
    raw = json.loads((fixtures / "hf-daily-api-samples" / "2024-05-27.json").read_bytes())
    assert any("\n" in e["paper"]["title"] or "\n" in e["paper"]["summary"] for e in raw)
    assert not any("\n" in r.title or "\n" in (r.abstract or "") for r in records)


def test_listing_time_moves_from_entry_to_submitted_on_daily_at(fixtures):
    old = parse((fixtures / "hf-daily-api-samples" / "2024-08-01.json").read_bytes(), "2024-08-01")[0]
    new = parse((fixtures / "hf-daily-api-samples" / "2025-03-17.json").read_bytes(), "2025-03-17")[0]
    raw_new = json.loads((fixtures / "hf-daily-api-samples" / "2025-03-17.json").read_bytes())[0]
    assert old.listed_at is not None
    assert new.listed_at == datetime.fromisoformat(raw_new["paper"]["submittedOnDailyAt"].replace("Z", "+00:00"))


def test_newer_fields_are_carried_when_present(fixtures):
    records = parse((fixtures / "hf-daily-api-samples" / "2026-04-10.json").read_bytes())
    assert any(r.github_repo and r.github_stars is not None for r in records)
    assert any(r.project_page for r in records)
    assert sum(bool(r.ai_keywords) for r in records) > len(records) // 2
    assert records[0].submitter == "taesiri"


def test_an_explicit_empty_list_is_a_day_without_papers():
    assert parse(b"[]") == []


@pytest.mark.parametrize(
    "body, message",
    [
        (b'[{"paper": {"id": "2406.0', "invalid JSON"),
        (b'{"error": "Not Found"}', "expected a JSON list"),
        (b"[42]", "entry 1 is a int"),
        (b'["not a literal ("]', "not a Python literal"),
        (b"\xff\xfe", "invalid JSON"),
    ],
)
def test_bodies_of_the_wrong_shape_raise_malformed_payload(body, message):
    with pytest.raises(MalformedPayload, match=message):
        parse(body)


def test_an_entry_without_an_arxiv_id_names_its_rank():
    with pytest.raises(EntryInvalid, match="entry 2: not an arXiv id"):
        parse(b'[{"paper": {"id": "2406.01234", "title": "A"}}, {"paper": {"id": "", "title": "B"}}]')


def test_odd_optional_values_become_none_and_never_fail_the_day():
    entry = {
        "paper": {
            "id": "2406.01234",
            "title": "T",
            "publishedAt": "yesterday",
            "upvotes": float("nan"),
            "githubStars": 1e400,
            "githubRepo": {"url": "x"},
            "ai_keywords": "agents",
            "authors": ["Ada Lovelace", {"name": "Alan Turing"}, 7],
        },
        "numComments": True,
        "submittedBy": "someone",
        "organization": 5,
    }
    record = parse(json.dumps([entry]).encode())[0]
    assert (record.published_at, record.upvotes, record.github_stars, record.github_repo) == (None, None, None, None)
    assert (record.comments, record.submitter, record.organization) == (None, None, None)
    assert record.ai_keywords == ("agents",) and record.authors == ("Ada Lovelace", "Alan Turing")


def test_an_entry_that_is_not_an_object_inside_page_props_is_invalid():
    from extractors.hf_daily_html import parse_daily_page

    html = b'<div data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;:[&quot;x&quot;]}"></div>'
    with pytest.raises(EntryInvalid, match="entry 1 has no 'paper' object"):
        parse_daily_page(html, digest_date=date(2026, 4, 10), observed_at=OBSERVED)


def test_json_nested_far_deeper_than_any_capture_is_malformed_not_a_crash():
    from extractors.errors import MalformedPayload

    with pytest.raises(MalformedPayload, match="nested too deeply"):
        parse(b"[" * 100_000 + b"]" * 100_000)
