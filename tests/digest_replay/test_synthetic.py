import gzip
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from digest_replay.synthetic.hf import BACKGROUND_TOPICS, PlantedTrend, generate_corpus
from reports.weeks import iso_week

PAPER_FIELDS = {
    "id",
    "authors",
    "publishedAt",
    "submittedOnDailyAt",
    "title",
    "submittedOnDailyBy",
    "summary",
    "upvotes",
    "discussionId",
    "ai_keywords",
}
ENTRY_FIELDS = {
    "paper",
    "publishedAt",
    "title",
    "summary",
    "thumbnail",
    "numComments",
    "submittedBy",
    "isAuthorParticipating",
}
HEX_ID = re.compile(r"^[0-9a-f]{24}$")
ARXIV_ID = re.compile(r"^(\d{4})\.\d{5}$")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("corpus"))


def read_digests(root: Path) -> dict[date, list[dict]]:
    return {
        date.fromisoformat(path.name[:10]): json.loads(gzip.decompress(path.read_bytes()))
        for path in sorted((root / "hf-daily-api").glob("*.json.gz"))
    }


def all_bytes(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def weekly_share(digests: dict[date, list[dict]], terms: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for day, entries in digests.items():
        hits = sum(any(term in f"{e['title']} {e['summary']}".lower() for term in terms) for e in entries)
        old_hits, old_total = counts.get(iso_week(day), (0, 0))
        counts[iso_week(day)] = (old_hits + hits, old_total + len(entries))
    return counts


def pooled(counts: dict[str, tuple[int, int]], weeks) -> float:
    hits = sum(counts[week][0] for week in weeks)
    return hits / sum(counts[week][1] for week in weeks)


def test_same_seed_writes_identical_bytes(tmp_path):
    generate_corpus(tmp_path / "a", days=30, seed=3)
    generate_corpus(tmp_path / "b", days=30, seed=3)
    assert all_bytes(tmp_path / "a") == all_bytes(tmp_path / "b")


def test_different_seed_writes_different_papers(tmp_path):
    first = read_digests(generate_corpus(tmp_path / "a", days=10, seed=1).root)
    second = read_digests(generate_corpus(tmp_path / "b", days=10, seed=2).root)
    assert first.keys() == second.keys()
    for day in first:
        assert {e["title"] for e in first[day]} != {e["title"] for e in second[day]}


def test_writes_one_file_per_weekday_ending_at_the_last_weekday(tmp_path):
    sunday = date(2026, 5, 3)
    summary = generate_corpus(tmp_path, days=23, papers_per_day=3, end=sunday)
    days = sorted(read_digests(tmp_path))
    assert len(days) == summary.days == 23
    assert all(day.weekday() < 5 for day in days)
    assert days[-1] == summary.last_date == date(2026, 5, 1)
    assert days[0] == summary.first_date


def test_every_entry_has_the_daily_papers_fields(corpus):
    first_seen: dict[str, date] = {}
    for day, entries in read_digests(corpus.root).items():
        for entry in entries:
            paper = entry["paper"]
            assert entry.keys() >= ENTRY_FIELDS and paper.keys() >= PAPER_FIELDS
            assert entry["title"] == paper["title"] and entry["summary"] == paper["summary"]
            assert 2 <= len(paper["authors"]) <= 12
            assert all(HEX_ID.match(a["_id"]) and a["name"] and a["hidden"] is False for a in paper["authors"])
            assert HEX_ID.match(paper["discussionId"]) and HEX_ID.match(entry["submittedBy"]["_id"])
            assert paper["submittedOnDailyAt"].startswith(day.isoformat())
            assert entry["thumbnail"].endswith(f"/{paper['id']}.png")
            first_seen.setdefault(paper["id"], day)
            assert ARXIV_ID.match(paper["id"]).group(1) == first_seen[paper["id"]].strftime("%y%m")


def test_some_papers_link_code_and_project_pages(corpus):
    papers = [e["paper"] for entries in read_digests(corpus.root).values() for e in entries]
    with_repo = sum("githubRepo" in p for p in papers) / len(papers)
    with_page = sum("projectPage" in p for p in papers) / len(papers)
    assert 0.3 < with_repo < 0.5 and 0.1 < with_page < 0.3


def test_entries_are_ranked_by_upvotes(corpus):
    for entries in read_digests(corpus.root).values():
        upvotes = [e["paper"]["upvotes"] for e in entries]
        assert upvotes == sorted(upvotes, reverse=True)


def test_summary_counts_match_the_files(corpus):
    ids = [e["paper"]["id"] for entries in read_digests(corpus.root).values() for e in entries]
    assert (corpus.sightings, corpus.papers) == (len(ids), len(set(ids)))
    assert corpus.sightings > corpus.papers


def test_some_papers_reappear_days_later_with_more_upvotes(corpus):
    seen: dict[str, tuple[date, dict]] = {}
    repeats = []
    for day, entries in read_digests(corpus.root).items():
        for entry in entries:
            if entry["paper"]["id"] in seen:
                repeats.append((seen[entry["paper"]["id"]], (day, entry)))
            seen[entry["paper"]["id"]] = (day, entry)
    assert repeats
    for (first_day, first), (later_day, later) in repeats:
        assert timedelta(days=4) <= later_day - first_day <= timedelta(days=8)
        assert later["title"] == first["title"] and later["paper"]["upvotes"] > first["paper"]["upvotes"]


def test_planted_terms_surge_inside_their_window(corpus):
    digests = read_digests(corpus.root)
    for trend in corpus.planted:
        counts = weekly_share(digests, trend.terms)
        weeks = sorted(counts)
        before = [w for w in weeks if w < trend.start_week]
        inside = [w for w in weeks if trend.start_week <= w <= trend.end_week]
        assert len(inside) >= 2 and inside[0] >= weeks[len(weeks) // 2]
        assert pooled(counts, inside) > 0.1
        assert pooled(counts, inside) > 5 * pooled(counts, before)
        assert counts[inside[-1]][0] / counts[inside[-1]][1] > 0.15


def test_background_topics_do_not_surge(corpus):
    digests = read_digests(corpus.root)
    weeks = {iso_week(day) for day in digests}
    surges = {w for t in corpus.planted for w in weeks if t.start_week <= w <= t.end_week}
    for label, terms in BACKGROUND_TOPICS.items():
        counts = weekly_share(digests, terms)
        quiet = [w for w in counts if w not in surges]
        assert pooled(counts, surges) < 2 * pooled(counts, quiet), label


def test_planted_json_matches_the_summary(corpus):
    rows = json.loads((corpus.root / "PLANTED.json").read_text(encoding="utf-8"))
    planted = tuple(PlantedTrend(r["label"], tuple(r["terms"]), r["start_week"], r["end_week"]) for r in rows)
    assert planted == corpus.planted and len(planted) == 3


def test_rejects_an_empty_corpus(tmp_path):
    with pytest.raises(ValueError, match="days"):
        generate_corpus(tmp_path, days=0)


def test_arxiv_listings_share_papers_with_the_hf_days(tmp_path):
    summary = generate_corpus(tmp_path, days=10, papers_per_day=10)
    assert sorted(p.name[:10] for p in (tmp_path / "arxiv-listing-jsonl").iterdir()) == sorted(
        p.name[:10] for p in (tmp_path / "hf-daily-api").iterdir()
    )
    assert 0 < summary.shared_papers < summary.papers < summary.arxiv_papers
