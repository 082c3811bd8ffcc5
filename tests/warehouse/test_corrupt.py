"""A damaged warehouse or snapshot is named in one line with what to do, and nothing writes to it."""

import hashlib
import os

import pytest
from typer.testing import CliRunner

from flows.run import publish_snapshot
from flows.settings import Settings
from papertrend.cli import app
from tests.factories import PageResult, load_pages, page, record
from warehouse.db import connect
from warehouse.errors import WarehouseCorrupt
from warehouse.integrity import damage, named_file_problem
from warehouse.paths import snapshot_path

runner = CliRunner()
ENV = {"PAPERTREND_ARXIV_ENABLED": "false", "PAPERTREND_HF_BASE_URL": "http://127.0.0.1:9", "COLUMNS": "300"}


def _warehouse(tmp_path):
    with connect(tmp_path / "warehouse.duckdb") as con:
        load_pages(con, [PageResult(page(), [record(), record("2604.00002", rank=2)])], run_id="r1")
    publish_snapshot(Settings.load(data_dir=tmp_path))
    return tmp_path / "warehouse.duckdb"


def _damage(path, how):
    if how == "half":
        os.truncate(path, path.stat().st_size // 2)
    elif how == "junk":
        with open(path, "r+b") as file:
            file.write(os.urandom(4096))
    else:
        path.write_text("arxiv_id,upvotes\n2604.00001,3\n")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_error_line(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


@pytest.mark.parametrize("how", ["half", "junk", "csv"])
def test_a_damaged_warehouse_is_named_with_the_snapshot_to_restore_and_left_as_it_is(tmp_path, how):
    warehouse = _warehouse(tmp_path)
    before = _damage(warehouse, how)
    data = ["--data-dir", str(tmp_path)]
    # A damaged header is found before Prefect starts; a file cut short when the flow opens it
    # (index-terms opens it the same way without a flow; docs/operations.md has ingest and report).
    commands = [["index-terms"]]
    if how != "half":
        commands += [["ingest", "2026-04-10", "--refresh-days", "0"], ["report", "--week", "2026-W15"], ["status"]]
    for args in commands:
        result = runner.invoke(app, [*args, *data], env=ENV)
        line = _one_error_line(result) if args != ["status"] else result.stdout.replace("\n", "")
        assert result.exit_code == 1, args
        assert f"warehouse {warehouse} is damaged" in line and f"cp {snapshot_path(warehouse)} {warehouse}" in line
        assert "papertrend reextract" in line
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("how", ["half", "junk", "csv"])
def test_a_damaged_snapshot_is_named_with_how_to_publish_it_again(tmp_path, how):
    snapshot = snapshot_path(_warehouse(tmp_path))
    before = _damage(snapshot, how)
    for args in (["sql", "SELECT count(*) FROM papers"], ["status"]):
        result = runner.invoke(app, [*args, "--data-dir", str(tmp_path)], env=ENV)
        line = _one_error_line(result)
        assert result.exit_code == 1 and f"the snapshot {snapshot} is damaged" in line and "index-terms" in line
    assert hashlib.sha256(snapshot.read_bytes()).hexdigest() == before


def test_a_damaged_block_inside_the_file_is_found_when_it_is_read(tmp_path):
    snapshot = snapshot_path(_warehouse(tmp_path))
    with open(snapshot, "r+b") as file:  # headers intact, every data block after them garbage
        file.seek(3 * 4096)
        file.write(b"\xa5" * (snapshot.stat().st_size - 3 * 4096))
    assert damage(snapshot) is None
    result = runner.invoke(app, ["sql", "SELECT count(*) FROM papers", "--data-dir", str(tmp_path)], env=ENV)
    assert result.exit_code == 1 and "is damaged" in _one_error_line(result)


def test_connect_refuses_a_file_that_is_not_duckdb_without_touching_it(tmp_path):
    other = tmp_path / "warehouse.duckdb"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(WarehouseCorrupt, match="its header is not DuckDB's"), connect(other):
        pass
    assert other.read_text() == "a,b\n1,2\n"


def test_a_warehouse_setting_naming_another_file_is_a_settings_problem_and_the_default_path_is_not(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a database, but some twelve bytes long")
    assert "is not a DuckDB file" in named_file_problem(other, named=True)
    assert named_file_problem(other, named=False) is None  # papertrend's own file: WarehouseCorrupt on open
    assert named_file_problem(tmp_path, named=True) == f"warehouse {tmp_path} is not a file"
    assert named_file_problem(tmp_path / "new.duckdb", named=True) is None
