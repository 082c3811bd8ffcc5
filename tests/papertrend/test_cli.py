import json

from typer.testing import CliRunner

from flows.run import publish_snapshot
from flows.settings import Settings
from papertrend.cli import app
from tests.factories import DAYS, PageResult, held_by_another_process, load_pages, page, record
from warehouse.db import connect

runner = CliRunner()


def seeded(tmp_path):
    with connect(tmp_path / "warehouse.duckdb") as con:
        load_pages(con, [PageResult(page(), [record(), record("2604.00002", rank=2, upvotes=7)])], run_id="r1")
    publish_snapshot(Settings.load(data_dir=tmp_path))  # what every flow run does; readers read only this
    return tmp_path


def test_sql_prints_a_table_csv_or_json(tmp_path):
    data = str(seeded(tmp_path))
    query = "SELECT arxiv_id, upvotes FROM sightings ORDER BY upvotes DESC"
    table = runner.invoke(app, ["sql", query, "--data-dir", data])
    csv = runner.invoke(app, ["sql", query, "--format", "csv", "--data-dir", data])
    as_json = runner.invoke(app, ["sql", query, "-f", "json", "--data-dir", data])
    assert table.exit_code == csv.exit_code == as_json.exit_code == 0
    assert "2604.00002" in table.stdout
    assert csv.stdout.splitlines() == ["arxiv_id,upvotes", "2604.00002,7", "2604.00001,1"]
    assert json.loads(as_json.stdout) == [
        {"arxiv_id": "2604.00002", "upvotes": 7},
        {"arxiv_id": "2604.00001", "upvotes": 1},
    ]


def test_sql_is_read_only(tmp_path):
    result = runner.invoke(app, ["sql", "DELETE FROM papers", "--data-dir", str(seeded(tmp_path))])
    assert result.exit_code == 1 and "read-only" in result.stderr.lower()


def test_the_data_dir_comes_from_the_environment_too(tmp_path):
    result = runner.invoke(
        app,
        ["sql", "SELECT count(*) AS n FROM papers", "-f", "csv"],
        env={"PAPERTREND_DATA_DIR": str(seeded(tmp_path))},
    )
    assert result.stdout.splitlines() == ["n", "2"]


def test_status_without_a_warehouse_is_one_clear_line_and_exit_1(tmp_path):
    result = runner.invoke(app, ["status", "--data-dir", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no warehouse at") and "papertrend demo" in result.stderr


def test_status_fits_80_columns_and_says_when_hf_went_stale(tmp_path):
    # The seeded warehouse holds one HF day, Friday 2026-04-10, and follows no arXiv listing.
    data, env = ["--data-dir", str(seeded(tmp_path))], {"PAPERTREND_ARXIV_ENABLED": "false", "COLUMNS": "80"}
    weekend = runner.invoke(app, ["status", "--as-of", "2026-04-12", *data], env=env)
    monday_noon = runner.invoke(app, ["status", "--as-of", "2026-04-13", *data], env=env)
    assert weekend.exit_code == 0, weekend.stdout  # HF's digest is due on weekdays only
    assert "2 papers, 2 sightings" in weekend.stdout and "2026-04-10" in weekend.stdout
    assert max(len(line) for line in weekend.stdout.splitlines()[:-2]) <= 80
    assert monday_noon.exit_code == 1
    assert monday_noon.stdout.splitlines()[-1] == (
        "unhealthy as of the end of 2026-04-13: hf stale: newest digest 2026-04-10, expected 2026-04-13"
    )


def test_extract_prints_records_as_json_lines(tiny_corpus):
    result = runner.invoke(app, ["extract", str(tiny_corpus / "hf-daily-api" / f"{DAYS[0]}.json")])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and len(lines) == 3
    assert lines[0]["arxiv_id"] == "2604.00000" and lines[0]["digest_date"] == DAYS[0]
    assert lines[0]["authors"] == ["Søren Müller"]


def test_extract_of_a_broken_page_names_it_and_exits_1(tmp_path):
    broken = tmp_path / "2026-04-10.html"
    broken.write_text("<html><body>nothing here</body></html>")
    result = runner.invoke(app, ["extract", str(broken)])
    assert result.exit_code == 1 and "StructureMissing" not in result.stdout
    assert str(broken) in result.stderr and "layout changed" in result.stderr


def test_bad_settings_exit_2_listing_every_problem(tmp_path):
    result = runner.invoke(
        app,
        ["status", "--data-dir", str(tmp_path)],
        env={"PAPERTREND_HF_MODE": "rss", "PAPERTREND_TIMEZONE": "Mars/Olympus"},
    )
    assert result.exit_code == 2
    assert "hf_mode" in result.stderr and "Mars/Olympus" in result.stderr


def test_sql_reads_the_published_snapshot_while_a_writer_holds_the_warehouse(tmp_path):
    data = seeded(tmp_path)
    publish_snapshot(Settings.load(data_dir=data))
    with held_by_another_process(data / "warehouse.duckdb"):
        result = runner.invoke(app, ["sql", "SELECT count(*) AS n FROM papers", "-f", "csv", "--data-dir", str(data)])
    assert result.exit_code == 0 and result.stdout.splitlines() == ["n", "2"]


def _one_error_line(result) -> str:
    """The error line of a failed command, asserting there is exactly one and no traceback."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def test_an_invalid_week_is_a_usage_error_before_any_work(tmp_path):
    for week in ("2026-W60", "2025-W53", "2026-W00", "2025-22"):
        result = runner.invoke(app, ["report", "--week", week, "--data-dir", str(tmp_path)])
        assert result.exit_code == 2, week
        assert week in _one_error_line(result)
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_demo_corpus_with_no_captures_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["demo", "--corpus", str(tmp_path / "empty"), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert "holds neither hf-daily-api/ nor arxiv-listing-jsonl/" in _one_error_line(result)


def test_a_bug_is_one_line_saying_so_and_debug_adds_the_traceback(tmp_path, monkeypatch):
    # A condition no real input produces on demand: an internal function failing unexpectedly.
    from warehouse import queries

    def broken(con):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(queries, "table_counts", broken)
    data = str(seeded(tmp_path))
    plain = runner.invoke(app, ["status", "--data-dir", data])
    debug = runner.invoke(app, ["--debug", "status", "--data-dir", data])
    assert plain.exit_code == debug.exit_code == 1
    assert "a bug in papertrend" in _one_error_line(plain) and "--debug" in plain.stderr
    assert "Traceback" in debug.stderr and "ZeroDivisionError" in debug.stderr


def _tree_digest(root) -> dict[str, str]:
    import hashlib

    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def test_sql_that_would_escape_the_warehouse_is_refused_and_changes_nothing(tmp_path):
    data = seeded(tmp_path / "data")
    publish_snapshot(Settings.load(data_dir=data))
    outside = tmp_path / "outside"
    snapshot = data / "warehouse.snapshot.duckdb"
    attempts = [
        f"COPY papers TO '{outside}.csv'",
        f"EXPORT DATABASE '{outside}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        f"COPY (SELECT 'x') TO '{snapshot}'",
        f"ATTACH '{snapshot}' AS s (READ_WRITE); DELETE FROM s.papers",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT * FROM 'https://example.com/papers.csv'",
        "SET memory_limit = '100GB'",
        "RESET threads",
        "PRAGMA enable_profiling",
        "CREATE TEMP TABLE t AS SELECT 1",
        "SELECT 1; DELETE FROM papers",
    ]
    before = _tree_digest(data)
    for query in attempts:
        result = runner.invoke(app, ["sql", query, "--data-dir", str(data)])
        assert result.exit_code == 1, query
        _one_error_line(result)
    assert _tree_digest(data) == before
    assert not outside.exists() and not outside.with_suffix(".csv").exists()


def test_a_refused_statement_says_sql_is_read_only_by_design(tmp_path):
    result = runner.invoke(app, ["sql", "COPY papers TO 'x.csv'", "--data-dir", str(seeded(tmp_path))])
    assert result.exit_code == 1 and "read-only by design" in _one_error_line(result)


def test_a_runaway_query_stops_at_the_timeout(tmp_path):
    query = "SELECT count(*) FROM range(1000000000000)"
    result = runner.invoke(app, ["sql", query, "--timeout", "0.5", "--data-dir", str(seeded(tmp_path))])
    assert result.exit_code == 1 and "longer than 0.5 s" in _one_error_line(result)


def test_sql_caps_table_rows_streams_csv_with_lists_as_json_and_writes_parquet(tmp_path, tmp_path_factory):
    import pyarrow.parquet as pq

    data = str(seeded(tmp_path))
    table = runner.invoke(app, ["sql", "SELECT * FROM range(2500)", "--max-rows", "5", "--data-dir", data])
    assert table.exit_code == 0 and "2495 more row(s) not shown" in table.stderr
    csv = runner.invoke(
        app, ["sql", "SELECT arxiv_id, authors FROM papers ORDER BY 1", "-f", "csv", "--data-dir", data]
    )
    assert csv.stdout.splitlines()[1] == '2604.00001,"[""A. Author"", ""B. Author""]"'
    lines = runner.invoke(app, ["sql", "SELECT * FROM range(3) t(n)", "-f", "jsonl", "--data-dir", data])
    assert [json.loads(line) for line in lines.stdout.splitlines()] == [{"n": 0}, {"n": 1}, {"n": 2}]
    refused = runner.invoke(app, ["sql", "SELECT 1", "-f", "parquet", "--data-dir", data])
    assert refused.exit_code == 2
    out = tmp_path_factory.mktemp("exports") / "r.parquet"  # never inside the data folder
    written = runner.invoke(
        app, ["sql", "SELECT * FROM range(20000) t(n)", "-f", "parquet", "-o", str(out), "--data-dir", data]
    )
    assert written.exit_code == 0 and pq.read_table(out).num_rows == 20000


def test_a_binary_config_file_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_bytes(b"\x00\xff\xfe binary")
    result = runner.invoke(app, ["status", "--data-dir", str(tmp_path)], env={"PAPERTREND_CONFIG": str(config)})
    assert result.exit_code == 2 and "bad.toml" in _one_error_line(result)


def test_reversed_ranges_and_negative_refresh_days_are_usage_errors(tmp_path):
    data = ["--data-dir", str(tmp_path)]
    for args in (
        ["backfill", "2026-04-10", "2026-04-01"],
        ["arxiv-history", "cs.LG", "2026-04-10", "2026-04-01"],
        ["ingest", "2026-04-10", "--refresh-days", "-2"],
    ):
        result = runner.invoke(app, args + data)
        assert result.exit_code == 2, args
        _one_error_line(result)
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_an_empty_or_unparsable_query_is_one_line_and_exit_1(tmp_path):
    data = str(seeded(tmp_path))
    for query, says in (("", "holds no statement"), ("SELEC 1", "syntax error")):
        result = runner.invoke(app, ["sql", query, "--data-dir", data])
        assert result.exit_code == 1, query
        assert says in _one_error_line(result) and "a bug" not in result.stderr


def test_a_data_dir_that_is_a_file_is_a_settings_error(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("not a directory")
    result = runner.invoke(app, ["status", "--data-dir", str(plain)])
    assert result.exit_code == 2 and "cannot hold papertrend's files" in _one_error_line(result)


def test_a_bad_cron_is_a_settings_error_before_anything_is_served(tmp_path):
    result = runner.invoke(
        app,
        ["serve", "--data-dir", str(tmp_path)],
        env={"PAPERTREND_SCHEDULE_HF": "61 * * * *", "PAPERTREND_SCHEDULE_WEEKLY_REPORT": "every monday"},
    )
    line = _one_error_line(result)
    assert result.exit_code == 2 and "serving" not in result.stdout
    assert "schedule_hf='61 * * * *' is not a cron schedule" in line and "schedule_weekly_report" in line
    assert runner.invoke(app, ["serve", "--list"], env={"PAPERTREND_SCHEDULE_ARXIV": "@daily"}).exit_code == 0


def test_a_warehouse_setting_pointing_at_a_file_that_is_not_duckdb_is_refused(tmp_path):
    other = tmp_path / "passwd"
    other.write_text("root:x:0:0:root:/root:/bin/bash\n")
    result = runner.invoke(app, ["sql", "SELECT 1"], env={"PAPERTREND_WAREHOUSE": str(other)})
    assert result.exit_code == 2 and "is not a DuckDB file" in _one_error_line(result)
    assert other.read_text() == "root:x:0:0:root:/root:/bin/bash\n"


def test_extract_dates_a_saved_hf_page_from_the_page_itself(fixtures, tmp_path):
    saved = tmp_path / "saved.html"  # no date in the name
    saved.write_bytes((fixtures / "hf-pages" / "papers_date_2024-08-01__slbqc.html").read_bytes())
    result = runner.invoke(app, ["extract", str(saved)])
    days = {json.loads(line)["digest_date"] for line in result.stdout.splitlines()}
    assert result.exit_code == 0 and days == {"2024-08-01"}
    undated = tmp_path / "page.html"
    undated.write_text('<div data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;: []}"></div>')
    result = runner.invoke(app, ["extract", str(undated)])
    assert result.exit_code == 2 and "pass --date" in result.stderr


def test_a_closed_pipe_ends_the_command_quietly(tiny_corpus):
    import subprocess
    import sys

    done = subprocess.run(
        f"{sys.executable} -m papertrend.cli extract {tiny_corpus / 'hf-daily-api' / (DAYS[0] + '.json')} | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert done.stdout == "{" and done.stderr == ""


def test_extract_of_a_truncated_or_corrupt_gzip_names_the_file(tiny_corpus, tmp_path):
    import gzip

    whole = gzip.compress((tiny_corpus / "hf-daily-api" / f"{DAYS[0]}.json").read_bytes())
    for name, body in (("cut", whole[: len(whole) // 2]), ("corrupt", b"\x1f\x8b" + b"\x00" * 40)):
        saved = tmp_path / f"{name}-{DAYS[0]}.json.gz"
        saved.write_bytes(body)
        result = runner.invoke(app, ["extract", str(saved)])
        assert result.exit_code == 1 and "Aborted" not in result.stderr
        assert f"{saved} is not a readable gzip file" in _one_error_line(result)


def test_a_data_dir_under_proc_is_a_settings_error():
    result = runner.invoke(app, ["status", "--data-dir", "/proc/1/papertrend"])
    assert result.exit_code == 2 and "cannot hold papertrend's files" in _one_error_line(result)


def test_status_says_the_scheduler_was_not_checked_when_no_prefect_server_answers(tmp_path):
    data = seeded(tmp_path)
    env = {"PAPERTREND_ARXIV_ENABLED": "false"}
    unrecorded = runner.invoke(app, ["status", "--as-of", "2026-04-12", "--data-dir", str(data)], env=env)
    (data / "prefect").mkdir(exist_ok=True)
    (data / "prefect" / "server.json").write_text('{"url": "http://127.0.0.1:9/api", "pid": 0}')
    gone = runner.invoke(app, ["status", "--as-of", "2026-04-12", "-f", "json", "--data-dir", str(data)], env=env)
    assert unrecorded.exit_code == 0 and "scheduler not checked: no Prefect server is recorded" in unrecorded.stdout
    scheduler = json.loads(gone.stdout)["scheduler"]
    assert gone.exit_code == 0 and scheduler["checked"] is False and scheduler["waiting"] == []
    assert scheduler["why_not"].startswith("the Prefect server at http://127.0.0.1:9/api did not answer in 2 s")
