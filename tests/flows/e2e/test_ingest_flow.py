import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from digest_replay.server import ReplayServer
from flows.archive import RawArchive
from flows.ingest import backfill, ingest
from flows.reextract import reextract
from flows.run import RunIncomplete
from flows.settings import Settings
from tests.factories import DAYS, arm, overrides_for, run_flow
from warehouse import queries
from warehouse.db import connect

FIRST, LAST = date.fromisoformat(DAYS[0]), date.fromisoformat(DAYS[-1])
EXTRACTED = ("digests", "papers", "sightings", "quarantine", "observations")


def open_warehouse(tmp_path):
    return connect(tmp_path / "data" / "warehouse.duckdb", read_only=True)


def count(con, sql):
    return con.execute(sql).fetchall()[0][0]


@pytest.mark.slow
def test_backfill_of_the_real_archive_is_exact_idempotent_and_reextractable(fixture_site, tmp_path):
    overrides = overrides_for(tmp_path / "data", fixture_site.base_url)
    first = run_flow(overrides, backfill, date(2024, 5, 27), date(2026, 4, 30))
    with open_warehouse(tmp_path) as con:
        assert (
            count(con, "SELECT count(*) FROM papers"),
            count(con, "SELECT count(*) FROM sightings"),
            count(con, "SELECT count(DISTINCT digest_date) FROM sightings"),
        ) == (7875, 7876, 501)
        assert count(con, "SELECT count(*) FROM digests WHERE entries = 0") == 704 - 501
        before, extracted = queries.content_hash(con), queries.content_hash(con, EXTRACTED)
    assert (first.new_papers, first.new_sightings, first.pages_quarantined) == (7875, 7876, 0)

    second = run_flow(overrides, backfill, date(2024, 5, 27), date(2026, 4, 30))
    assert (second.days_skipped, second.pages_fetched, second.new_sightings) == (704, 0, 0)
    with open_warehouse(tmp_path) as con:
        assert queries.content_hash(con) == before

    result = run_flow(overrides, reextract)
    assert (result.counts.new_papers, result.counts.new_sightings, result.open_quarantine) == (7875, 7876, 0)
    with open_warehouse(tmp_path) as con:
        assert queries.content_hash(con, EXTRACTED) == extracted


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_digest_page_path_loads_the_same_papers_as_the_api(fixtures, tmp_path):
    start, end = date(2024, 7, 29), date(2024, 8, 9)
    with ReplayServer(fixtures) as server:
        run_flow(overrides_for(tmp_path / "api", server.base_url), backfill, start, end)
        run_flow(overrides_for(tmp_path / "page", server.base_url, hf_mode="page"), backfill, start, end)
    with connect(tmp_path / "api" / "warehouse.duckdb", read_only=True) as con:
        api = dict(con.execute("SELECT arxiv_id, title FROM papers").fetchall())
    with connect(tmp_path / "page" / "warehouse.duckdb", read_only=True) as con:
        page = dict(con.execute("SELECT arxiv_id, title FROM papers").fetchall())
        kinds = {k for (k,) in con.execute("SELECT DISTINCT kind FROM raw_pages").fetchall()}
    assert kinds == {"page"}
    # 2024-08-01 is a captured page saved ten days later: it lists two more papers.
    assert api.items() <= page.items() and len(page) == len(api) + 2


@pytest.mark.slow
def test_a_malformed_page_is_quarantined_while_its_neighbours_load(site, tmp_path):
    arm(site, "malformed@2026-04-07*1")
    overrides = overrides_for(tmp_path / "data", site.base_url, hf_fallback=False)
    with pytest.raises(RunIncomplete, match=r"1 page\(s\) quarantined[\s\S]*date=2026-04-07") as caught:
        run_flow(overrides, backfill, FIRST, LAST)
    assert caught.value.summary.new_sightings == 6
    with open_warehouse(tmp_path) as con:
        sha256, error = con.execute("SELECT sha256, error FROM open_quarantine").fetchall()[0]
        assert error.startswith("MalformedPayload: invalid JSON")
        assert count(con, "SELECT count(*) FROM runs WHERE status = 'incomplete'") == 1
    assert RawArchive(tmp_path / "data" / "raw").get(sha256) == b"{oops"

    retry = run_flow(overrides, backfill, FIRST, LAST)  # the fault is spent: the day now loads
    assert (retry.days_skipped, retry.new_sightings) == (2, 3)
    with open_warehouse(tmp_path) as con:
        assert count(con, "SELECT count(*) FROM open_quarantine") == 0


def test_the_runs_table_keeps_every_counter_a_run_reports(site, tmp_path):
    overrides = overrides_for(tmp_path / "data", site.base_url)
    first = run_flow(overrides, backfill, FIRST, LAST)
    second = run_flow(overrides, backfill, FIRST, LAST)
    assert (first.days_requested, first.days_skipped, second.days_skipped) == (3, 0, 3)
    with open_warehouse(tmp_path) as con:
        stored = con.sql("SELECT * FROM runs ORDER BY started_at").pl().to_dicts()
    assert [{name: row[name] for name in first.counters()} for row in stored] == [
        first.counters(),
        second.counters(),
    ]


@pytest.mark.parametrize(
    "fault, reason",
    [
        (
            "truncate",
            "MalformedPayload: invalid JSON (Unterminated string starting at: line 1 column 535 (char 534)); "
            "is the body truncated?",
        ),
        ("oversize:200000", "ResponseTooLarge: body passed the byte cap and was cut at 100000 bytes"),
    ],
)
@pytest.mark.slow
def test_a_cut_body_is_kept_quarantined_and_stays_so_on_reextract(site, tmp_path, fault, reason):
    arm(site, f"{fault}@2026-04-07")
    overrides = overrides_for(tmp_path / "data", site.base_url, hf_fallback=False, fetch_max_bytes=100_000)
    with pytest.raises(RunIncomplete):
        run_flow(overrides, backfill, FIRST, LAST)
    result = run_flow(overrides, reextract)
    assert (result.counts.pages_quarantined, result.open_quarantine, result.counts.new_sightings) == (1, 1, 6)
    with open_warehouse(tmp_path) as con:
        assert con.execute("SELECT error FROM open_quarantine").fetchall() == [(reason,)]
        assert count(con, "SELECT count(*) FROM raw_pages WHERE digest_date = '2026-04-07'") == 1


def test_permanent_503_fails_the_day_with_nothing_half_written(site, tmp_path):
    arm(site, "503@2026-04-07")
    with pytest.raises(RunIncomplete, match=r"1 failed[\s\S]*gave up after 2 attempt"):
        run_flow(overrides_for(tmp_path / "data", site.base_url, hf_fallback=False), backfill, FIRST, LAST)
    with open_warehouse(tmp_path) as con:
        assert count(con, "SELECT count(*) FROM raw_pages WHERE digest_date = '2026-04-07'") == 0
        assert count(con, "SELECT count(*) FROM sightings WHERE digest_date = '2026-04-07'") == 0
        assert count(con, "SELECT count(DISTINCT digest_date) FROM sightings") == 2


def test_the_digest_page_is_the_fallback_when_the_api_fails(site, tmp_path):
    arm(site, "503@/api/daily_papers?date=2026-04-07")
    summary = run_flow(overrides_for(tmp_path / "data", site.base_url), backfill, FIRST, LAST)
    assert (summary.pages_failed, summary.new_sightings) == (0, 9)
    with open_warehouse(tmp_path) as con:
        assert con.execute("SELECT digest_date, kind FROM digests ORDER BY 1").fetchall() == [
            (FIRST, "api"),
            (date(2026, 4, 7), "page"),
            (LAST, "api"),
        ]


def test_an_api_page_that_does_not_extract_falls_back_and_the_run_completes(site, tmp_path):
    arm(site, "malformed@/api/daily_papers?date=2026-04-07")
    overrides = overrides_for(tmp_path / "data", site.base_url)
    summary = run_flow(overrides, backfill, FIRST, LAST)
    assert (summary.pages_quarantined, summary.pages_fallback, summary.new_sightings) == (0, 1, 9)
    with open_warehouse(tmp_path) as con:
        assert count(con, "SELECT count(*) FROM quarantine") == 1  # kept, for the record
        assert count(con, "SELECT count(*) FROM open_quarantine") == 0
    assert run_flow(overrides, reextract).open_quarantine == 0


def test_a_host_that_rate_limits_us_stops_the_run_and_the_rest_resumes_later(site, tmp_path):
    arm(site, "429:3600@2026-04-07")
    overrides = overrides_for(tmp_path / "data", site.base_url)
    with pytest.raises(RunIncomplete, match=r"stopped: .*Retry-After 3600s exceeds") as caught:
        run_flow(overrides, backfill, FIRST, LAST)
    assert (caught.value.summary.new_sightings, caught.value.summary.days_unfetched) == (3, 2)
    assert not any("/papers/date/" in path for path, _ in site.requests)  # no fallback onto the same host
    site.faults.clear()
    resumed = run_flow(overrides, backfill, FIRST, LAST)
    assert (resumed.days_skipped, resumed.new_sightings) == (1, 6)


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_an_empty_day_fetched_before_publication_is_fetched_again(site, tmp_path, tiny_corpus):
    today = datetime.now(UTC).date()
    overrides = overrides_for(tmp_path / "data", site.base_url)
    first = run_flow(overrides, backfill, today, today)  # not published yet: []
    (tiny_corpus / "hf-daily-api" / f"{today}.json").write_text(
        (tiny_corpus / "hf-daily-api" / f"{LAST}.json").read_text()
    )
    again = run_flow(overrides, backfill, today, today)
    assert (first.new_sightings, again.days_skipped, again.new_sightings) == (0, 0, 3)
    old = run_flow(overrides, backfill, FIRST - timedelta(1), FIRST - timedelta(1))  # an old empty day
    assert run_flow(overrides, backfill, FIRST - timedelta(1), FIRST - timedelta(1)).days_skipped == 1
    assert old.pages_fetched == 1


def test_running_the_same_day_twice_changes_nothing(site, tmp_path):
    overrides = overrides_for(tmp_path / "data", site.base_url)
    first = run_flow(overrides, ingest, LAST, refresh_days=2)
    with open_warehouse(tmp_path) as con:
        before = queries.content_hash(con)
    second = run_flow(overrides, ingest, LAST, refresh_days=2)
    assert (first.pages_fetched, first.new_papers) == (3, 9)
    assert (second.pages_fetched, second.pages_not_modified, second.new_sightings, second.updated_sightings) == (
        0,
        3,
        0,
        0,
    )
    assert site.requests[-1][1].get("If-None-Match")
    with open_warehouse(tmp_path) as con:
        assert queries.content_hash(con) == before


@pytest.mark.slow
def test_a_day_is_loaded_whatever_url_it_came_from(tiny_corpus, tmp_path):
    # Another replay port is another base URL: the days are the same digests.
    with ReplayServer(tiny_corpus) as server:
        run_flow(overrides_for(tmp_path / "data", server.base_url), backfill, FIRST, LAST)
    with open_warehouse(tmp_path) as con:
        before = queries.content_hash(con)
    with ReplayServer(tiny_corpus) as server:
        resumed = run_flow(overrides_for(tmp_path / "data", server.base_url), backfill, FIRST, LAST)
        refreshed = run_flow(overrides_for(tmp_path / "data", server.base_url), ingest, LAST, refresh_days=1)
    assert (resumed.days_skipped, resumed.pages_fetched) == (resumed.days_requested, 0)
    assert (refreshed.pages_not_modified, refreshed.new_sightings, refreshed.updated_sightings) == (2, 0, 0)
    with open_warehouse(tmp_path) as con:
        assert queries.content_hash(con) == before


@pytest.mark.slow
def test_a_refetch_with_matured_counts_updates_sightings_in_place(tiny_corpus, tmp_path):
    overrides = lambda url: overrides_for(tmp_path / "data", url)  # noqa: E731
    with ReplayServer(tiny_corpus) as server:
        run_flow(overrides(server.base_url), ingest, LAST, refresh_days=0)
    path = tiny_corpus / "hf-daily-api" / f"{LAST}.json"
    path.write_text(path.read_text().replace('"upvotes": 10', '"upvotes": 99'))
    with ReplayServer(tiny_corpus) as server:
        summary = run_flow(overrides(server.base_url), ingest, LAST, refresh_days=0)
    assert (summary.new_sightings, summary.updated_sightings) == (0, 1)
    with open_warehouse(tmp_path) as con:
        assert count(con, "SELECT max(upvotes) FROM sightings") == 99
        assert count(con, "SELECT count(*) FROM sightings") == 3
        assert count(con, "SELECT count(*) FROM sightings WHERE first_observed_at < observed_at") == 3
        assert count(con, "SELECT max(gain) FROM upvote_gains") == 89  # 10 -> 99 between two fetches
        extracted = queries.content_hash(con, EXTRACTED)
    run_flow(overrides("http://127.0.0.1:9"), reextract)  # no network: any loopback address
    with open_warehouse(tmp_path) as con:
        assert queries.content_hash(con, EXTRACTED) == extracted


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_demo_replays_a_synthetic_corpus_end_to_end(tmp_path):
    from digest_replay.synthetic.hf import generate_corpus
    from papertrend.demo import run_demo

    expected = generate_corpus(tmp_path / "expected", days=6, papers_per_day=8)
    report, summary = run_demo(Settings.load(data_dir=tmp_path / "data"), corpus=None, days=6, papers_per_day=8)
    assert not summary.incomplete
    with open_warehouse(tmp_path) as con:
        assert count(con, "SELECT count(DISTINCT arxiv_id) FROM sightings WHERE source = 'hf'") == expected.papers
        assert count(con, "SELECT count(*) FROM sightings WHERE source = 'hf'") == expected.sightings
        assert (
            count(con, "SELECT count(DISTINCT arxiv_id) FROM sightings WHERE source = 'arxiv'") == expected.arxiv_papers
        )
        papers = count(con, "SELECT count(*) FROM papers")
        both = count(
            con, "SELECT count(*) FROM (SELECT arxiv_id FROM sightings GROUP BY 1 HAVING count(DISTINCT source) = 2)"
        )
    assert both == expected.shared_papers > 0
    assert papers == expected.papers + expected.arxiv_papers - expected.shared_papers
    assert f"{papers} papers" in report and "top papers of the week ending" in report
    with open_warehouse(tmp_path) as con:
        before, last_day = con.execute("SELECT count(*), max(digest_date) FROM raw_pages").fetchall()[0]
    inbox = sorted((tmp_path / "data" / "demo-inbox").glob("*.eml"))
    assert [p.name for p in inbox] == ["01-ada_at_example.org.eml", "02-bob_at_example.org.eml"]
    assert "email: 2 message(s)" in report
    assert "browse it: make web" in report and "http://127.0.0.1:8000" in report  # how to see what it built
    message = inbox[0].read_text()
    assert "http://127.0.0.1:8000/manage/" in message  # the emails' links point at `papertrend web`
    again, _ = run_demo(Settings.load(data_dir=tmp_path / "data"), corpus=None, days=6, papers_per_day=8)
    with open_warehouse(tmp_path) as con:
        assert count(con, "SELECT count(*) FROM raw_pages") == before  # a second demo fetches nothing again
        assert count(con, "SELECT sum(count) FROM audience_counts WHERE kind = 'messages' AND status = 'sent'") == 2
    assert "email: 0 message(s)" in again  # and emails nobody twice
    assert_status_judges_freshness(tmp_path / "data", last_day)


def assert_status_judges_freshness(data_dir, last_day):
    from typer.testing import CliRunner

    from papertrend.cli import app

    def status(day, *args):
        return CliRunner().invoke(app, ["status", "--data-dir", str(data_dir), "--as-of", str(day), *args])

    fresh, later = status(last_day), status(last_day + timedelta(14))
    assert fresh.exit_code == 0 and fresh.stdout.splitlines()[-1].startswith("healthy as of the end of")
    assert later.exit_code == 1
    verdict = later.stdout.splitlines()[-1]
    assert verdict.startswith("unhealthy") and "hf stale" in verdict and "arxiv cs.LG, cs.CL, cs.CV, cs.AI" in verdict
    as_json = json.loads(status(last_day + timedelta(14), "--format", "json").stdout)
    assert as_json["healthy"] is False and len(as_json["problems"]) == 2
    assert {s["name"]: s["stale"] for s in as_json["sources"]}["hf"] is True
    assert {r["flow"] for r in as_json["runs"]} == {"backfill", "weekly-report"}


def test_the_cli_backfill_exits_1_listing_the_quarantined_pages(site, tmp_path):
    from typer.testing import CliRunner

    from papertrend.cli import app

    arm(site, "malformed@2026-04-07*1")
    env = {
        "PAPERTREND_HF_BASE_URL": site.base_url,
        "PAPERTREND_HF_API_INTERVAL": "0",
        "PAPERTREND_HF_FALLBACK": "false",
        "PAPERTREND_DATA_DIR": str(tmp_path / "data"),
    }
    result = CliRunner().invoke(app, ["backfill", str(FIRST), str(LAST)], env=env)
    assert result.exit_code == 1
    assert "1 page(s) quarantined" in result.stderr and "date=2026-04-07" in result.stderr
    assert "new_sightings=6" in result.stdout
    status = CliRunner().invoke(
        app, ["status", "--as-of", str(LAST), "-f", "json"], env=env | {"PAPERTREND_ARXIV_ENABLED": "false"}
    )
    assert status.exit_code == 1
    assert json.loads(status.stdout)["problems"] == [
        "hf: 1 day(s) missing: 2026-04-07",
        "last backfill run incomplete (" + json.loads(status.stdout)["runs"][0]["started_at"][:16] + " UTC)",
        "1 page(s) in open quarantine",
    ]


@pytest.mark.slow
def test_an_incomplete_run_is_shown_once_on_the_terminal_without_prefects_traceback(site, tmp_path):
    import subprocess
    import sys

    arm(site, "malformed@2026-04-07*1")
    env = os.environ | {
        "PAPERTREND_HF_BASE_URL": site.base_url,
        "PAPERTREND_HF_API_INTERVAL": "0",
        "PAPERTREND_HF_FALLBACK": "false",
        "PAPERTREND_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "papertrend.cli", "backfill", str(FIRST), str(LAST)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[0].startswith("error: 1 page(s) quarantined")
    assert "Traceback" not in done.stderr and "Encountered exception" not in done.stderr
    assert len(done.stderr.splitlines()) == 3  # the error, the quarantined page, what to do


@pytest.mark.slow
def test_a_report_without_a_warehouse_is_two_lines_on_the_terminal(tmp_path):
    # In a real process: Prefect's console handler writes to the real stderr, which CliRunner does not capture.
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERTREND_", "PREFECT_API_URL"))}
    done = subprocess.run(
        [sys.executable, "-m", "papertrend.cli", "report", "--week", "2026-W17", "--data-dir", str(tmp_path / "none")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and done.stderr.startswith("error: no warehouse at")
    assert len(done.stderr.splitlines()) == 2 and "Traceback" not in done.stderr


def test_reextract_with_a_body_missing_from_the_archive_is_one_line_and_exit_1(site, tmp_path):
    from typer.testing import CliRunner

    from papertrend.cli import app

    overrides = overrides_for(tmp_path / "data", site.base_url)
    run_flow(overrides, backfill, FIRST, FIRST)
    archive = RawArchive(tmp_path / "data" / "raw")
    lost = next(archive.root.rglob("*.gz"))
    lost.unlink()
    result = CliRunner().invoke(app, ["reextract", "--data-dir", str(tmp_path / "data")])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert len(errors) == 1 and lost.name.removesuffix(".gz") in errors[0]
    assert "restore <data_dir>/raw" in result.stderr
    with open_warehouse(tmp_path) as con:  # the failed rebuild rolled back: the day is still loaded
        assert count(con, "SELECT count(*) FROM sightings") == 3
        assert count(con, "SELECT status FROM runs WHERE flow = 'reextract'") == "failed"


def test_runs_are_named_for_what_they_cover(site, tmp_path):
    from prefect.client.orchestration import get_client

    overrides = overrides_for(tmp_path / "data", site.base_url)
    run_flow(overrides, ingest, LAST, refresh_days=0)
    run_flow(overrides, backfill, FIRST, LAST)
    with get_client(sync_client=True) as client:
        names = {run.name for run in client.read_flow_runs(limit=200)}
    assert {f"ingest {LAST}", f"backfill {FIRST}..{LAST}"} <= names


def test_an_hf_page_showing_another_day_is_quarantined_not_loaded_under_the_wrong_day(fixtures):
    from common.sources import HF_PAGE
    from flows.day import extract_page
    from tests.factories import page

    body = (fixtures / "hf-pages" / "papers_date_2024-08-01__slbqc.html").read_bytes()
    asked = replace(page(day=date(2024, 8, 2)), kind="page")
    wrong = extract_page(body, asked, HF_PAGE)
    right = extract_page(body, replace(asked, digest_date=date(2024, 8, 1)), HF_PAGE)
    assert not wrong.records and wrong.error is not None
    assert wrong.error.startswith("PageDateMismatch: the page is the digest of 2024-08-01, not of 2024-08-02")
    assert right.error is None and len(right.records) == 13


def test_reextract_quarantines_damaged_raw_pages_and_rebuilds_the_rest(site, tmp_path):
    import gzip

    from typer.testing import CliRunner

    from papertrend.cli import app

    overrides = overrides_for(tmp_path / "data", site.base_url)
    run_flow(overrides, backfill, FIRST, LAST)
    archive = RawArchive(tmp_path / "data" / "raw")
    with open_warehouse(tmp_path) as con:
        papers = count(con, "SELECT count(*) FROM papers")
        shas = [row[0] for row in con.execute("SELECT DISTINCT sha256 FROM raw_pages ORDER BY sha256").fetchall()]
    truncated, replaced = (archive.path_for(sha) for sha in shas[:2])  # one of the three days is left whole
    truncated.write_bytes(truncated.read_bytes()[:20])
    replaced.write_bytes(gzip.compress(b'{"not": "the body its name says"}'))
    result = CliRunner().invoke(app, ["reextract", "--data-dir", str(tmp_path / "data")])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert len(errors) == 1 and "2 damaged raw page(s) quarantined" in errors[0]
    assert sorted(p.name for p in (archive.root / "corrupt").iterdir()) == sorted(f"{sha}.gz" for sha in shas[:2])
    with open_warehouse(tmp_path) as con:
        reasons = [r[0] for r in con.execute("SELECT error FROM quarantine").fetchall()]
        assert len(reasons) == 2 and all(r.startswith("ArchiveCorrupt: raw page") for r in reasons)
        assert 0 < count(con, "SELECT count(*) FROM papers") < papers  # the other days rebuilt
