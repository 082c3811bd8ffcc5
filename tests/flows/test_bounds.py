"""Every input bounded: days, ranges, refresh windows, numeric settings and categories are refused in one line."""

import gzip
import zlib
from datetime import date

import pytest
from typer.testing import CliRunner

from flows.bounds import (
    ARXIV_FIRST_DAY,
    DateOutOfRange,
    RangeTooLarge,
    backfill_cost,
    check_day,
    check_range,
    refresh_window,
)
from flows.files import InputTooLarge, gunzip_capped
from flows.run import publish_snapshot
from flows.settings import Settings, SettingsInvalid
from papertrend.cli import app
from tests.factories import PageResult, load_pages, page, record
from warehouse.db import connect

runner = CliRunner()


def _one_error_line(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["ingest", "0001-01-01"], "before arXiv began"),
        (["ingest", "2099-01-01"], "after tomorrow"),
        (["backfill", "1900-01-01", "2024-01-01"], "before arXiv began"),
        (["backfill", "2024-01-01", "2099-01-01"], "after tomorrow"),
        (["arxiv-history", "cs.LG", "1991-08-13", "1991-09-01"], "before arXiv began"),
        (["status", "--as-of", "9999-12-31"], "after tomorrow"),
    ],
)
def test_days_before_arxiv_or_after_tomorrow_are_refused_with_the_range(tmp_path, args, says):
    result = runner.invoke(app, [*args, "--data-dir", str(tmp_path)])
    line = _one_error_line(result)
    assert result.exit_code == 2 and says in line and str(ARXIV_FIRST_DAY) in line
    assert not (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["backfill", "2020-01-01", "2024-01-01"],
        ["arxiv-history", "cs.LG", "2023-01-01", "2024-06-30"],
        ["ingest", "2024-06-03", "--refresh-days", "100000"],
    ],
)
def test_a_large_range_asks_for_large_and_says_what_it_costs(tmp_path, args):
    result = runner.invoke(app, [*args, "--data-dir", str(tmp_path)])
    line = _one_error_line(result)
    assert result.exit_code == 2 and "--large" in line and "request(s)" in line and "about" in line
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_the_cost_of_a_range_follows_the_rate_limit_settings():
    settings = Settings.load(env={}, hf_api_interval=2.0, arxiv_enabled=False)
    start, end = date(2020, 1, 1), date(2023, 12, 31)
    with pytest.raises(RangeTooLarge, match=r"at least 1461 request\(s\), about 49 min at 2 s each"):
        check_range(start, end, settings, large=False, cost=lambda: backfill_cost(start, end, settings))
    check_range(start, end, settings, large=True, cost=lambda: backfill_cost(start, end, settings))


def test_a_day_is_judged_against_tomorrow_in_the_configured_zone():
    settings = Settings.load(env={})
    with pytest.raises(DateOutOfRange, match="from 1991-08-14"):
        check_day(date(1991, 8, 13), settings, what="DAY")
    assert check_day(ARXIV_FIRST_DAY, settings, what="DAY") == ARXIV_FIRST_DAY


def test_a_refresh_window_never_reaches_before_arxiv():
    assert refresh_window(date(1991, 8, 16), 10**20) == [date(1991, 8, 14), date(1991, 8, 15), date(1991, 8, 16)]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PAPERTREND_REFRESH_DAYS", "100000000000000000000"),
        ("PAPERTREND_HF_API_INTERVAL", "nan"),
        ("PAPERTREND_ARXIV_INTERVAL", "inf"),
        ("PAPERTREND_FETCH_DEADLINE", "inf"),
        ("PAPERTREND_FETCH_READ_TIMEOUT", "0"),
        ("PAPERTREND_EMAIL_SMTP_TIMEOUT", "-inf"),
        ("PAPERTREND_BATCH_DAYS", "0"),
        ("PAPERTREND_ARXIV_API_PAGE_SIZE", "1000000"),
    ],
)
def test_numeric_settings_must_be_finite_and_within_bounds(tmp_path, variable, value):
    result = runner.invoke(app, ["status", "--data-dir", str(tmp_path)], env={variable: value})
    line = _one_error_line(result)
    assert result.exit_code == 2 and variable.removeprefix("PAPERTREND_").lower() in line and value in line


def test_an_unknown_category_is_refused_before_any_request_with_close_matches(tmp_path):
    result = runner.invoke(app, ["arxiv-history", "cs.FAKE", "2024-01-01", "2024-01-02", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "'cs.FAKE' is not an arXiv category; did you mean" in _one_error_line(result)
    lowered = runner.invoke(app, ["arxiv-history", "cs.lg", "2024-01-01", "2024-01-02", "--data-dir", str(tmp_path)])
    assert lowered.exit_code == 2 and "did you mean cs.LG?" in _one_error_line(lowered)
    assert not (tmp_path / "warehouse.duckdb").exists() and not (tmp_path / "raw").exists()


def test_archives_without_a_dot_are_categories_and_the_setting_is_checked_too():
    assert Settings.load(env={"PAPERTREND_ARXIV_CATEGORIES": "hep-th,quant-ph,astro-ph.GA,cs.LG"}).categories
    with pytest.raises(SettingsInvalid, match="'hepth' is not an arXiv category; did you mean hep-th"):
        Settings.load(env={"PAPERTREND_ARXIV_CATEGORIES": "cs.LG,hepth"})


def test_status_reports_a_digest_dated_in_the_future(tmp_path):
    future = date(2099, 1, 1)
    with connect(tmp_path / "warehouse.duckdb") as con:
        load_pages(con, [PageResult(page(), [record()])], run_id="r1")
        load_pages(con, [PageResult(page("b" * 64, day=future), [record("2604.00009", day=future)])], run_id="r2")
    publish_snapshot(Settings.load(data_dir=tmp_path))
    env = {"PAPERTREND_ARXIV_ENABLED": "false", "COLUMNS": "200"}
    result = runner.invoke(app, ["status", "--as-of", "2026-04-10", "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 1
    assert "1 digest(s) dated in the future (2099-01-01); not counted as fresh" in result.stdout
    # Freshness is judged on the real days: the 2099 digest does not make HF look fresh.
    later = runner.invoke(app, ["status", "--as-of", "2026-05-01", "--data-dir", str(tmp_path)], env=env)
    assert later.exit_code == 1 and "stale: newest digest 2026-04-10" in later.stdout


def _bomb(path, inflated_mb: int) -> None:
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    path.write_bytes(b"".join(deflater.compress(bytes(1 << 20)) for _ in range(inflated_mb)) + deflater.flush())


def test_extract_refuses_a_gzip_bomb_after_inflating_at_most_max_bytes(tmp_path):
    bomb = tmp_path / "2024-06-03.json.gz"
    _bomb(bomb, 64)  # 64 MB of zeros in ~64 KB
    result = runner.invoke(app, ["extract", str(bomb)], env={"PAPERTREND_FETCH_MAX_BYTES": "1000000"})
    assert result.exit_code == 1 and "inflates to more than 1000000 bytes" in _one_error_line(result)
    with pytest.raises(InputTooLarge):
        gunzip_capped(bomb.read_bytes(), 1000, where="bomb")


def test_extract_refuses_a_device_and_a_file_over_max_bytes_without_reading_it_all(tmp_path):
    zero = runner.invoke(app, ["extract", "/dev/zero", "--source", "hf-api", "--date", "2024-06-03"])
    assert zero.exit_code == 2 and "/dev/zero is not a regular file" in _one_error_line(zero)
    big = tmp_path / "2024-06-03.json"
    big.write_bytes(b"[" + b" " * 5000 + b"]")
    result = runner.invoke(app, ["extract", str(big)], env={"PAPERTREND_FETCH_MAX_BYTES": "1000"})
    assert result.exit_code == 1 and "larger than 1000 bytes" in _one_error_line(result)


def test_extract_names_a_truncated_or_false_gzip_file(tmp_path):
    truncated = tmp_path / "2024-06-03.json.gz"
    truncated.write_bytes(gzip.compress(b"[]" * 1000)[:40])
    false = tmp_path / "2024-06-04.json.gz"
    false.write_bytes(b"not gzip at all")
    for path, says in ((truncated, "truncated"), (false, "not a readable gzip file")):
        result = runner.invoke(app, ["extract", str(path)])
        assert result.exit_code == 1 and says in _one_error_line(result)
    multi = gzip.compress(b'{"a": ') + gzip.compress(b"1}")
    assert gunzip_capped(multi, 100, where="two members") == b'{"a": 1}'
