"""Real captured pages, mutated: only the named extraction errors escape, and no record is ever wrong.

A record is wrong when it is not what the page says: an entry we did not
touch that changes, or an entry built from a field we broke. Truncated pages
(a connection cut mid-body) must give either an error or records equal to
the whole page's.
"""

import copy
import functools
import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from common.ids import canonical_arxiv_id
from common.records import PaperRecord
from common.sources import ARXIV_ATOM, ARXIV_LISTING, HF_API, HF_PAGE
from digest_replay.arxiv_corpus import ArxivCorpus
from digest_replay.arxiv_pages import render_listing
from extractors import extract
from extractors.errors import ExtractError
from tests.factories import OBSERVED, fixtures_or_skip

pytestmark = pytest.mark.fixtures
FAST = settings(
    max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
HF_DAYS = ["2024-05-27", "2024-08-01", "2025-03-17", "2025-10-03", "2026-04-10"]
# Fields of an HF entry a mutation may break, as paths from the entry.
HF_FIELDS = [
    ("paper", "id"),
    ("paper", "title"),
    ("paper", "summary"),
    ("paper", "authors"),
    ("paper", "upvotes"),
    ("paper", "publishedAt"),
    ("paper", "submittedOnDailyAt"),
    ("paper", "githubRepo"),
    ("paper", "githubStars"),
    ("paper", "ai_keywords"),
    ("publishedAt",),
    ("numComments",),
    ("title",),
]
ODD_VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just("x" * 100_000),
)
MISSING = object()


def _hf_day(day: str) -> tuple[bytes, list[Any]]:
    body = (fixtures_or_skip() / "hf-daily-api-samples" / f"{day}.json").read_bytes()
    return body, json.loads(body)


def _records(body: bytes, source: str, day: str) -> list[PaperRecord]:
    return extract(body, source=source, digest_date=date.fromisoformat(day), observed_at=OBSERVED, where="mutant")


def _plausible(record: PaperRecord, day: str | None) -> None:
    assert record.arxiv_id == canonical_arxiv_id(record.arxiv_id)
    assert isinstance(record.title, str) and record.title.strip()
    assert day is None or record.digest_date == date.fromisoformat(day)  # an Atom entry's day is its own
    assert all(isinstance(a, str) and a.strip() for a in record.authors)
    for count in (record.upvotes, record.comments, record.github_stars, record.rank):
        assert count is None or (type(count) is int and 0 <= count < 2**63)


def _set(entry: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    holder = entry
    for key in path[:-1]:
        holder = holder.setdefault(key, {}) if isinstance(holder.get(key), dict) else holder
    if value is MISSING:
        holder.pop(path[-1], None)
    else:
        holder[path[-1]] = value


@FAST
@given(
    day=st.sampled_from(HF_DAYS),
    index=st.integers(min_value=0, max_value=10),
    path=st.sampled_from(HF_FIELDS),
    value=st.one_of(st.just(MISSING), ODD_VALUES),
)
def test_a_broken_hf_field_is_an_error_or_leaves_every_other_entry_intact(day, index, path, value):
    body, entries = _hf_day(day)
    original = _records(body, HF_API, day)
    mutant = copy.deepcopy(entries)
    index %= len(mutant)
    _set(mutant[index], path, value)
    try:
        records = _records(json.dumps(mutant).encode(), HF_API, day)
    except ExtractError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    event("records, the others intact")
    touched = json.loads(json.dumps(entries[index]))["paper"]["id"]
    for record in records:
        _plausible(record, day)
        if record.arxiv_id != canonical_arxiv_id(touched):
            assert record in original
    assert len(records) <= len(original)


def _truncations(body: bytes, source: str, day: str, cut: float) -> None:
    whole = _records(body, source, day)
    try:
        records = _records(body[: int(len(body) * cut)], source, day)
    except ExtractError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    event("records, each equal to the whole page's")
    assert records and all(record in whole for record in records)


def _body(name: str) -> bytes:
    data = (fixtures_or_skip() / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


@functools.cache
def _listing_page() -> tuple[bytes, str]:
    """A real day of cs.LG listings (the 2026-03-10 crawl) in arXiv's page structure."""
    corpus = ArxivCorpus(fixtures_or_skip())
    announced, entries = corpus.listing(date(2026, 3, 10), "cs.LG")
    return render_listing("cs.LG", announced, entries), announced.isoformat()


CUTS = st.floats(min_value=0.0, max_value=0.999)


@FAST
@given(cut=CUTS)
def test_a_truncated_hf_api_body_is_an_error_never_a_partial_record(cut):
    _truncations(_body("hf-daily-api-samples/2025-10-03.json"), HF_API, "2025-10-03", cut)


@FAST
@given(cut=CUTS)
def test_a_truncated_hf_page_is_an_error_never_a_partial_record(cut):
    _truncations(_body("hf-pages/papers_date_2024-08-01__slbqc.html"), HF_PAGE, "2024-08-01", cut)


@FAST
@given(cut=CUTS)
def test_a_truncated_atom_feed_is_an_error_never_a_partial_record(cut):
    _truncations(_body("arxiv-atom/arxiv_api_query_cs.CL_2026-05-11__zzjjay.xml"), ARXIV_ATOM, "2026-05-11", cut)


@FAST
@given(cut=CUTS)
def test_a_truncated_arxiv_listing_is_an_error_never_a_partial_record(cut):
    body, day = _listing_page()
    _truncations(body, ARXIV_LISTING, day, cut)


@FAST
@given(data=st.data())
def test_random_bytes_spliced_into_real_pages_raise_only_extraction_errors(data):
    name, source, day = data.draw(
        st.sampled_from(
            [
                ("hf-daily-api-samples/2026-04-10.json", HF_API, "2026-04-10"),
                ("hf-pages/papers_date_2024-08-01__slbqc.html", HF_PAGE, "2024-08-01"),
                ("arxiv-atom/arxiv_api_query_cs.CL_2026-05-11__zzjjay.xml", ARXIV_ATOM, "2026-05-11"),
            ]
        )
    )
    body = bytearray(_body(name))
    at = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    width = data.draw(st.integers(min_value=0, max_value=64))
    junk = data.draw(st.binary(max_size=64))
    body[at : at + width] = junk
    try:
        records = _records(bytes(body), source, day)
    except ExtractError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    event("plausible records")
    for record in records:
        _plausible(record, None if source == ARXIV_ATOM else day)


def test_the_mutation_corpus_is_there():
    # The properties above read these captures; a renamed capture must fail loudly, not skip silently.
    for name in ("hf-pages/papers_date_2024-08-01__slbqc.html", "hf-daily-api-samples/2026-04-10.json"):
        assert Path(fixtures_or_skip() / name).stat().st_size > 10_000
