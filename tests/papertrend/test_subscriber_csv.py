"""The subscriber CSV through the command line: every bad input one line per problem, numbered, exit 2,
nothing imported; booleans by the settings' rule; an export a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from common.booleans import BooleanInvalid, parse_boolean
from flows.settings import Settings, SettingsInvalid
from papertrend.cli import app
from papertrend.subscriber_csv import neutralised, restored


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def imported(tmp_path, text: str | bytes, *extra: str):
    file = tmp_path / "team.csv"
    file.write_bytes(text if isinstance(text, bytes) else text.encode())
    return invoke("subscribers", "import", str(file), *extra, "--data-dir", str(tmp_path / "data"))


def assert_refused(result, *lines: int) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "nothing was imported" in result.stderr or "error:" in result.stderr
    for line in lines:
        assert f"line {line}:" in result.stderr


@pytest.mark.parametrize("word", ["maybe", "2", "yes please", "t", "ja"])
def test_a_yes_no_cell_that_is_not_one_of_the_words_is_a_numbered_error(tmp_path, word):
    result = imported(tmp_path, f"address,only_matches\nada@example.org,true\nbob@example.org,{word}\n")
    assert_refused(result, 3)
    assert "only_matches" in result.stderr and "line 2:" not in result.stderr
    assert (
        not (tmp_path / "data" / "audience.sqlite3").exists()
        or "bob" not in invoke("subscribers", "list", "-f", "csv", "--data-dir", str(tmp_path / "data")).stdout
    )


@pytest.mark.parametrize(
    ("word", "value"), [("TRUE", True), (" yes ", True), ("1", True), ("on", True), ("Off", False), ("0", False)]
)
def test_settings_and_csv_read_booleans_by_the_same_rule(tmp_path, word, value):
    assert parse_boolean(word) is value
    assert Settings.load(env={"PAPERTREND_HF_ENABLED": word}).hf_enabled is value
    assert imported(tmp_path, f"address,only_matches\nada@example.org,{word}\n").exit_code == 0
    rows = json.loads(invoke("subscribers", "list", "-f", "json", "--data-dir", str(tmp_path / "data")).stdout)
    assert rows[0]["only_matches"] is value


def test_maybe_is_refused_by_the_settings_too():
    with pytest.raises(BooleanInvalid):
        parse_boolean("maybe")
    with pytest.raises(SettingsInvalid, match="hf_enabled='maybe'"):
        Settings.load(env={"PAPERTREND_HF_ENABLED": "maybe"})


def test_an_oversize_field_is_a_numbered_error_not_an_internal_one(tmp_path):
    big = "x" * 5_000_000
    result = imported(tmp_path, f'address,name\nada@example.org,Ada\nbob@example.org,"{big}"\n')
    assert_refused(result, 3)
    assert "field larger than field limit" in result.stderr


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("address,max_papers\nada@example.org,lots\n", "max_papers must be a whole number"),
        ("address,name\nada@example.org,Ada,extra\n", "more cells than the header"),
        ("address\nada@example.org\nADA@example.org\n", "earlier line"),
        ("address,cadence\nada@example.org,hourly\n", "cadence must be weekly or daily"),
    ],
)
def test_each_kind_of_bad_row_is_one_numbered_line(tmp_path, text, problem):
    result = imported(tmp_path, text)
    assert_refused(result)
    assert problem in result.stderr and "line " in result.stderr


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"\xff\xfeaddress\n", "cannot read"),
        (b"name,cadence\nAda,weekly\n", "the header must name address"),
        (b"address,colour\nada@example.org,red\n", "unknown: colour"),
    ],
)
def test_an_unreadable_file_or_header_is_one_line_and_exit_2(tmp_path, text, problem):
    result = imported(tmp_path, text)
    assert result.exit_code == 2 and problem in result.stderr and "Traceback" not in result.output


def test_a_missing_file_is_one_line_and_exit_2(tmp_path):
    result = invoke("subscribers", "import", str(tmp_path / "nope.csv"), "--data-dir", str(tmp_path))
    assert result.exit_code == 2 and "cannot read" in result.stderr


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://evil.test","x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x", "''+x"]
)
def test_a_formula_like_cell_is_neutralised_and_reads_back_unchanged(cell):
    assert neutralised(cell).startswith("'") and restored(neutralised(cell)) == cell


def without_times(text: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "created_at"} for row in csv.DictReader(io.StringIO(text))]


@pytest.mark.parametrize("cell", ["Ada", "'quoted'", "a=b", ""])
def test_an_ordinary_cell_is_exported_as_it_is(cell):
    assert neutralised(cell) == cell and restored(cell) == cell


def test_the_subscriber_export_is_safe_for_spreadsheets_and_imports_back(tmp_path):
    data = str(tmp_path / "data")
    hostile = '=HYPERLINK("http://evil.test","click")'
    assert (
        invoke(
            "subscribers", "add", "--name", hostile, "--keyword", "+rl", "--data-dir", data, "--", "-ada@example.org"
        ).exit_code
        == 0
    )
    invoke("subscribers", "add", "bob@example.org", "--name", "Bob", "--data-dir", data)
    invoke("unsubscribe", "bob@example.org", "--data-dir", data)
    exported = invoke("subscribers", "list", "--all", "-f", "csv", "--data-dir", data).stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[0]["address"] == "'-ada@example.org" and rows[0]["name"] == "'" + hostile
    assert rows[0]["keywords"] == "'+rl"
    assert all(not str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for v in row.values())
    other = tmp_path / "other"
    (tmp_path / "exported.csv").write_text(exported)
    result = invoke("subscribers", "import", str(tmp_path / "exported.csv"), "--data-dir", str(other))
    assert result.exit_code == 0, result.output
    again = invoke("subscribers", "list", "--all", "-f", "csv", "--data-dir", str(other)).stdout
    assert without_times(again) == without_times(exported)  # bob stays unsubscribed through the round trip
