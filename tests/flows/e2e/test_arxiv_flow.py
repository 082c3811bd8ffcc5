import gzip
import json
import re
from datetime import UTC, date, datetime

import pytest

from digest_replay.arxiv_corpus import ArxivCorpus
from flows.archive import RawArchive
from flows.arxiv_history import arxiv_history, arxiv_lookup, fetch_query
from flows.http import Fetcher, HostThrottle
from flows.ingest import backfill, ingest
from flows.reextract import reextract
from flows.run import RunIncomplete
from flows.settings import Settings
from tests.factories import arm, overrides_for, run_flow
from warehouse import queries
from warehouse.db import connect

EXTRACTED = ("digests", "papers", "sightings", "quarantine", "observations")


def scalar(con, sql):
    return con.execute(sql).fetchall()[0][0]


def listing_ids(fixtures):
    ids = set()
    for path in (fixtures / "arxiv-listing-jsonl").glob("*.jsonl.gz"):
        ids |= {json.loads(line)["id"] for line in gzip.decompress(path.read_bytes()).splitlines() if line.strip()}
    return ids


def hf_ids(fixtures):
    from extractors.hf_daily_json import decode_daily_api

    return {
        e["paper"]["id"]
        for p in (fixtures / "hf-daily-api").glob("*.json.gz")
        for e in decode_daily_api(gzip.decompress(p.read_bytes()))
    }


def backfill_crawl_days(corpus, overrides):
    """One backfill per run of consecutive crawl days; returns {day: summary}."""
    days, summaries = corpus.days(), {}
    runs = [[days[0]]]
    for day in days[1:]:
        runs[-1].append(day) if (day - runs[-1][-1]).days == 1 else runs.append([day])
    for run in runs:
        summary = run_flow(overrides, backfill, run[0], run[-1])
        summaries.update(dict.fromkeys(run, summary))
    return summaries


@pytest.mark.slow
def test_the_whole_real_archive_dedups_across_sources_listings_and_repeats(fixtures, fixture_site, tmp_path):
    corpus = ArxivCorpus(fixtures)
    primaries = sorted({row["categories"][0] for day in corpus.days() for row in corpus.rows(day)})
    base = overrides_for(tmp_path / "data", fixture_site.base_url)
    base["arxiv_listing_path"] = "/list/{category}/new?date={date}"
    hf = {**base, "arxiv_enabled": False}
    arxiv = {
        **base,
        "hf_enabled": False,
        "arxiv_enabled": True,
        "arxiv_base_url": fixture_site.base_url,
        "arxiv_categories": ",".join(primaries),
    }
    run_flow(hf, backfill, date(2024, 5, 27), date(2026, 4, 30))
    first = {id(s): s for s in backfill_crawl_days(corpus, arxiv).values()}.values()
    assert sum(s.pages_quarantined + s.pages_failed for s in first) == 0

    expected_arxiv, expected_hf = listing_ids(fixtures), hf_ids(fixtures)
    path = tmp_path / "data" / "warehouse.duckdb"
    with connect(path, read_only=True) as con:
        arxiv_papers = {
            r[0] for r in con.execute("SELECT DISTINCT arxiv_id FROM sightings WHERE source = 'arxiv'").fetchall()
        }
        assert arxiv_papers == expected_arxiv  # 6,085 ids, computed from the files
        assert scalar(con, "SELECT count(*) FROM papers") == len(expected_arxiv | expected_hf)
        assert (
            scalar(
                con,
                """SELECT count(*) FROM (SELECT arxiv_id FROM sightings
                               WHERE source = 'arxiv' AND section = 'new' GROUP BY 1 HAVING count(*) > 1)""",
            )
            == 0
        )
        both = expected_arxiv & expected_hf
        assert both and scalar(
            con,
            f"""SELECT count(*) FROM (SELECT arxiv_id FROM sightings
                 WHERE arxiv_id IN ({",".join(repr(i) for i in both)})
                 GROUP BY 1 HAVING count(DISTINCT source) = 2)""",
        ) == len(both)
        assert scalar(con, "SELECT max(len(listings)) FROM sightings WHERE source = 'arxiv'") > 1
        before, extracted = queries.content_hash(con), queries.content_hash(con, EXTRACTED)
    # Weekend copies, a crawl before the announcement, a partial re-crawl: no sightings.
    repeats = [date(2026, 3, 3), date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 14), date(2026, 3, 15)]
    assert all(corpus.announcements[d] != d for d in repeats)
    with connect(path, read_only=True) as con:
        assert (
            scalar(
                con,
                f"""SELECT count(*) FROM sightings WHERE source = 'arxiv'
                               AND digest_date IN ({",".join(f"DATE '{d}'" for d in repeats)})""",
            )
            == 0
        )

    again = {id(s): s for s in backfill_crawl_days(corpus, arxiv).values()}.values()
    assert sum(s.pages_fetched for s in again) == 0 and sum(s.days_skipped for s in again) > 0
    with connect(path, read_only=True) as con:
        assert queries.content_hash(con) == before
    assert run_flow(arxiv, reextract).open_quarantine == 0
    with connect(path, read_only=True) as con:
        assert queries.content_hash(con, EXTRACTED) == extracted


def arxiv_overrides(tmp_path, site, **extra):
    return {
        **overrides_for(tmp_path / "data", site.base_url),
        "hf_enabled": False,
        "arxiv_enabled": True,
        "arxiv_base_url": site.base_url,
        "arxiv_api_url": site.base_url,
        "arxiv_interval": 0.0,
        "arxiv_listing_path": "/list/{category}/new?date={date}",
        **extra,
    }


@pytest.mark.slow
def test_api_history_pages_through_a_category_and_resumes(fixture_site, tmp_path):
    overrides = arxiv_overrides(tmp_path, fixture_site, arxiv_api_page_size=40)
    first = run_flow(overrides, arxiv_history, "cs.CL", date(2026, 3, 4), date(2026, 3, 5))
    queries_sent = [p for p, _ in fixture_site.requests if p.startswith("/api/query")]
    assert len(queries_sent) > 2 and any("start=40" in p for p in queries_sent)  # paged
    with connect(tmp_path / "data" / "warehouse.duckdb", read_only=True) as con:
        loaded = scalar(con, "SELECT count(*) FROM sightings WHERE source = 'arxiv-api'")
        assert loaded == first.new_sightings > 40
        assert scalar(con, "SELECT count(*) FROM papers WHERE categories IS NULL OR primary_category IS NULL") == 0
    again = run_flow(overrides, arxiv_history, "cs.CL", date(2026, 3, 4), date(2026, 3, 5))
    assert (again.days_skipped, again.pages_fetched) == (2, 0)


@pytest.mark.slow
def test_an_empty_weekday_is_suspicious_once_and_a_sunday_is_quiet(fixture_site, tmp_path):
    overrides = arxiv_overrides(tmp_path, fixture_site)
    with pytest.raises(RunIncomplete, match=re.escape("cs.CL 2024-01-09: the API lists no submissions for a weekday")):
        run_flow(overrides, arxiv_history, "cs.CL", date(2024, 1, 9), date(2024, 1, 9))
    assert run_flow(overrides, arxiv_history, "cs.CL", date(2024, 1, 6), date(2024, 1, 7)).pages_failed == 0
    # Long past, the empty days have settled: later runs ask for none of them.
    assert run_flow(overrides, arxiv_history, "cs.CL", date(2024, 1, 9), date(2024, 1, 9)).days_skipped == 1
    assert run_flow(overrides, arxiv_history, "cs.CL", date(2024, 1, 6), date(2024, 1, 7)).days_skipped == 2


@pytest.mark.slow  # ~20 s: pages a real category window twice
def test_a_window_cut_off_mid_paging_is_fetched_again_in_full(fixture_site, tmp_path):
    overrides = arxiv_overrides(tmp_path, fixture_site, arxiv_api_page_size=40)
    arm(fixture_site, "500@start=40")
    with pytest.raises(RunIncomplete, match="gave up after 2 attempt"):
        run_flow(overrides, arxiv_history, "cs.CL", date(2026, 3, 4), date(2026, 3, 4))
    fixture_site.faults.clear()
    resumed = run_flow(overrides, arxiv_history, "cs.CL", date(2026, 3, 4), date(2026, 3, 4))
    assert resumed.days_skipped == 0 and resumed.new_sightings > 0
    with connect(tmp_path / "data" / "warehouse.duckdb", read_only=True) as con:
        assert scalar(con, "SELECT complete FROM api_windows") is True


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_lookups_enrich_papers_and_bad_ids_fail_before_any_request(fixture_site, tmp_path):
    from common.ids import InvalidArxivId

    overrides = arxiv_overrides(tmp_path, fixture_site)
    with pytest.raises(InvalidArxivId):
        run_flow(overrides, arxiv_lookup, ["2603.01234", "abc"])
    assert not fixture_site.requests
    some = sorted(listing_ids(fixture_site.corpus.root))[:3]
    summary = run_flow(overrides, arxiv_lookup, [f"https://arxiv.org/abs/{i}v1" for i in some])
    assert summary.new_papers == 3


def test_the_api_error_feed_surfaces_as_a_clear_error(fixture_site, tmp_path):
    settings = Settings.load(**arxiv_overrides(tmp_path, fixture_site))
    with Fetcher(settings.fetch_policy("arxiv-api"), throttle=HostThrottle()) as fetcher:
        outcome = fetch_query(
            fetcher, RawArchive(tmp_path / "raw"), settings, {"id_list": "abc"}, day=date(2026, 3, 4), listing="id_list"
        )
    assert "arXiv API error: incorrect query" in outcome.failure and not outcome.complete
    kept = outcome.results[0]  # the error feed itself is archived and quarantined
    assert kept.error.startswith("ApiErrorFeed: arXiv API error") and kept.page.status == 400
    assert b"incorrect query" in RawArchive(tmp_path / "raw").get(kept.page.sha256)


def test_a_403_stops_the_history_run(fixture_site, tmp_path):
    arm(fixture_site, "403@/api/query")
    with pytest.raises(RunIncomplete, match="arXiv refused us \\(HTTP 403\\)"):
        run_flow(arxiv_overrides(tmp_path, fixture_site), arxiv_history, "cs.CL", date(2026, 3, 4), date(2026, 3, 6))
    assert len([p for p, _ in fixture_site.requests if p.startswith("/api/query")]) == 1


@pytest.mark.slow
def test_the_real_rate_limit_spaces_api_calls_three_seconds_apart(fixture_site, tmp_path):
    settings = Settings.load(**{**arxiv_overrides(tmp_path, fixture_site), "arxiv_interval": 3.0})
    policy = settings.fetch_policy("arxiv-api")
    assert (policy.min_interval, policy.max_connections) == (3.0, 1)
    with Fetcher(policy, throttle=HostThrottle()) as fetcher:
        for n in range(3):
            fetcher.get(f"{fixture_site.base_url}/api/query?id_list=2603.0000{n}")
    gaps = [b - a for a, b in zip(fixture_site.arrivals, fixture_site.arrivals[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 2.95


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_a_live_ingest_alerts_when_a_listing_is_older_than_the_calendar_says(fixture_site, tmp_path):
    overrides = arxiv_overrides(tmp_path, fixture_site, arxiv_categories="cs.CL", refresh_days=0)
    with pytest.raises(RunIncomplete, match=re.escape("arXiv cs.CL: /new still shows the listing of 2026-07-01")):
        # A week after the replay's newest crawl: the calendar expects a newer listing.
        run_flow(overrides, ingest, as_of=datetime(2026, 7, 10, 12, 0, tzinfo=UTC))
    past = run_flow(overrides, ingest, date(2026, 3, 10))  # a given day is history: no alarm
    assert past.pages_failed == 0
