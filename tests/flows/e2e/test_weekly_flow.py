import hashlib
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from digest_replay.server import ReplayServer
from digest_replay.synthetic.hf import generate_corpus
from flows.ingest import backfill
from flows.settings import Settings
from flows.weekly import weekly_report
from papertrend.cli import app
from papertrend.demo import replay_overrides
from reports.weeks import last_complete_week_in_data
from tests.factories import run_flow
from warehouse.db import connect
from warehouse.report_store import REPORT_TABLES


def tables(path):
    with connect(path, read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in REPORT_TABLES}


def digests(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_the_weekly_report_is_stored_written_and_identical_when_rerun(tmp_path):
    summary = generate_corpus(tmp_path / "corpus", days=40, papers_per_day=20, arxiv=False)
    settings = Settings.load(data_dir=tmp_path / "data")
    with ReplayServer(tmp_path / "corpus") as server:
        run_flow(replay_overrides(settings, server.base_url), backfill, summary.first_date, summary.last_date)
    week = last_complete_week_in_data(summary.last_date)
    overrides = replay_overrides(settings, "http://127.0.0.1:9")
    first = run_flow(overrides, weekly_report, week)
    folder = tmp_path / "data" / "reports" / week
    before_files, before_tables = digests(folder), tables(settings.warehouse_path)
    second = run_flow(overrides, weekly_report, week)
    assert json.dumps(first.to_json(), default=str) == json.dumps(second.to_json(), default=str)
    assert digests(folder) == before_files and tables(settings.warehouse_path) == before_tables
    assert {"report.md", "report.html", "charts/volume.png"} <= set(before_files)
    assert before_tables["reports"][0][0] == week and before_tables["rising_terms"]
    assert len(before_tables["stories"]) == len(first.stories) > 0
    assert ("charts/stories.png" in before_files) and len(before_tables["story_weeks"]) == 26 * len(first.stories)
    assert (tmp_path / "data" / "reports" / "index.html").is_file()

    result = CliRunner().invoke(
        app,
        ["report", "--week", week, "--json", "--data-dir", str(tmp_path / "data")],
        env={"PAPERTREND_HF_BASE_URL": "http://127.0.0.1:9"},
    )
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["week"] == week and data["papers"] == first.papers
    # `topics` are the stories now, with the keys older readers used; `stories` and `summary` are new.
    assert {"label", "terms", "growth", "score", "horizon"} <= set(data["topics"][0])
    assert {"id", "label", "terms", "examples", "series", "since", "new", "per_week"} <= set(data["stories"][0])
    assert data["topics"] == data["stories"] and len(data["summary"]) >= 2
    shown = data["rising_terms"] + data["new_terms"]
    keys = {"term", "name", "horizon", "per_week", "baseline_per_week", "growth", "series", "examples"}
    assert shown and all(keys <= set(term) for term in shown)
    assert all(term["growth"] >= 1.5 and len(term["series"]) == 26 for term in shown)
    assert "top_papers" in data and "falling_topics" in data


def test_a_bad_week_label_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["report", "--week", "2025-22", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "not an ISO week" in result.stderr


def test_the_default_week_is_the_newest_complete_one_every_source_has_digests_in():
    from reports.weeks import default_report_week

    w17, w18, w26 = (date.fromisocalendar(2026, w, 1) for w in (17, 18, 26))
    # demo-real: HF ends on Thursday 2026-04-30 (W18), arXiv samples run to W26: W18, not arXiv's last week.
    assert default_report_week({"hf": {w17, w18}, "arxiv": {w17, w18, w26}}, date(2026, 6, 26)) == "2026-W18"
    # One source alone: a week is complete once the data reaches its Friday.
    assert default_report_week({"hf": {w17, w18}}, date(2026, 4, 30)) == "2026-W17"
    assert default_report_week({"hf": {w18}, "arxiv": {w26}}, date(2026, 6, 26)) is None


def test_the_last_complete_week_of_a_corpus():
    assert last_complete_week_in_data(date(2026, 4, 30)) == "2026-W17"  # a Thursday
    assert last_complete_week_in_data(date(2026, 4, 26)) == "2026-W17"  # a Sunday completes its week
    assert last_complete_week_in_data(date(2026, 5, 1)) == "2026-W18"  # so does a Friday: no source publishes later


def test_report_without_a_warehouse_or_without_data_says_so_and_writes_nothing(tmp_path):
    from tests.factories import PageResult, load_pages, page, record

    data = tmp_path / "data"
    missing = CliRunner().invoke(app, ["report", "--data-dir", str(data)])
    assert missing.exit_code == 1 and "no warehouse at" in missing.stderr and "Traceback" not in missing.stderr
    assert not data.exists()
    with connect(data / "warehouse.duckdb") as con:  # papers of 2026-W15 only
        load_pages(con, [PageResult(page(), [record()])], run_id="r1")
    empty = CliRunner().invoke(app, ["report", "--week", "2026-W10", "--data-dir", str(data)])
    assert empty.exit_code == 1 and "no paper was first listed in 2026-W10" in empty.stderr
    assert not (data / "reports").exists()
