"""`papertrend export`: every analyst table and view as Parquet, read back equal by DuckDB and polars, swapped in
atomically, with nothing personal in it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from digest_replay.synthetic.hf import generate_corpus
from flows.run import publish_snapshot
from flows.settings import Settings
from papertrend.cli import app
from tests.factories import load_corpus
from warehouse import parquet_export
from warehouse.audience import connect_audience
from warehouse.db import connect_for_reading
from warehouse.subscribers import Subscriber, add_subscribers, valid_subscriber

PLANTED = "planted.analyst@example.org"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("export")
    generate_corpus(root / "corpus", days=12, papers_per_day=10, seed=3, arxiv=False)
    load_corpus(root / "corpus", root / "data" / "warehouse.duckdb")
    settings = Settings(data_dir=root / "data")
    with connect_audience(settings.audience_path) as store:
        add_subscribers(store, [valid_subscriber(Subscriber(PLANTED, keywords=("agents",)))])
    publish_snapshot(settings, recount=True)
    return root / "data"


def export(data: Path, folder: Path) -> str:
    result = CliRunner().invoke(app, ["export", str(folder), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    return result.stdout


def parquet_of(folder: Path, name: str, entry: dict) -> str:
    files = f"{folder}/{name}/*/*.parquet" if entry["by_month"] else f"{folder}/{name}.parquet"
    return f"read_parquet('{files}', hive_partitioning = false)"


def test_every_table_and_view_round_trips_through_parquet(data, tmp_path):
    out = export(data, tmp_path / "exports")
    current = tmp_path / "exports" / "current"
    assert current.is_symlink() and f"to {current.resolve()}" in out
    manifest = json.loads((current / "manifest.json").read_text())
    with connect_for_reading(data / "warehouse.duckdb") as con:
        expected = {name: parquet_export.relation_fingerprint(con, name) for name, _ in parquet_export.relations(con)}
    assert set(manifest["relations"]) == set(expected) >= {"papers", "sightings", "suspected_duplicates", "stories"}
    reader = duckdb.connect()  # an analyst's own DuckDB
    for name, entry in manifest["relations"].items():
        assert (entry["rows"], entry["hash"]) == expected[name], name
        assert parquet_export.fingerprint(reader, parquet_of(current, name, entry)) == expected[name], name
    assert len(list((current / "sightings").glob("month=*/part-0.parquet"))) >= 1  # one file per digest month
    # polars reads the same rows, and the same papers.
    sightings = pl.scan_parquet(current / "sightings" / "*" / "*.parquet", hive_partitioning=False).collect()
    assert sightings.height == manifest["relations"]["sightings"]["rows"]
    with connect_for_reading(data / "warehouse.duckdb") as con:
        papers = con.sql("SELECT * FROM papers ORDER BY arxiv_id").pl()
    assert pl.read_parquet(current / "papers.parquet").sort("arxiv_id").equals(papers)


def test_no_address_or_token_reaches_an_export(data, tmp_path):
    export(data, tmp_path / "exports")
    files = [p for p in (tmp_path / "exports").rglob("*") if p.is_file()]
    assert files and all(PLANTED.encode() not in p.read_bytes() for p in files)
    manifest = json.loads((tmp_path / "exports" / "current" / "manifest.json").read_text())
    assert not {"subscribers", "tokens", "email_log", "signups", "sent_papers"} & set(manifest["relations"])


def test_a_reader_during_an_export_sees_the_previous_complete_one(data, tmp_path, monkeypatch):
    root = tmp_path / "exports"
    export(data, root)
    before = (root / "current").resolve()
    calls = []

    def failing(con, name):  # the export dies half-way, as a crash or a full disk would stop it
        calls.append(name)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return parquet_export.fingerprint(con, f'"{name}"')

    monkeypatch.setattr(parquet_export, "relation_fingerprint", failing)
    result = CliRunner().invoke(app, ["export", str(root), "--data-dir", str(data)])
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert (root / "current").resolve() == before  # still the complete previous export
    assert json.loads((before / "manifest.json").read_text())["relations"]["papers"]["rows"] > 0
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # nothing half-written left


def test_an_analyst_reading_current_mid_export_reads_the_previous_complete_one(data, tmp_path, monkeypatch):
    root = tmp_path / "exports"
    export(data, root)
    before = (root / "current").resolve()
    seen = []

    def reading_mid_way(con, name):  # half the relations are written: an analyst opens current now
        if len(seen) == 0 and name == "sightings":
            manifest = json.loads((root / "current" / "manifest.json").read_text())
            rows = duckdb.connect().sql(f"SELECT count(*) FROM '{root}/current/papers.parquet'").fetchall()[0][0]
            seen.append(((root / "current").resolve(), manifest["version"], rows))
        return parquet_export.fingerprint(con, f'"{name}"')

    monkeypatch.setattr(parquet_export, "relation_fingerprint", reading_mid_way)
    export(data, root)
    assert len(seen) == 1
    folder, version, rows = seen[0]
    assert folder == before and version == before.name
    assert rows == json.loads((before / "manifest.json").read_text())["relations"]["papers"]["rows"]
    assert (root / "current").resolve() != before  # and the new export is current once complete


def test_only_the_last_two_versions_are_kept_and_the_data_folder_is_refused(data, tmp_path):
    root = tmp_path / "exports"
    for _ in range(3):
        export(data, root)
    assert len([p for p in root.iterdir() if p.name.startswith("v-")]) == 2
    refused = CliRunner().invoke(app, ["export", str(data / "mine"), "--data-dir", str(data)])
    assert refused.exit_code == 2 and "which papertrend manages" in refused.output


def test_an_export_into_a_file_says_so(data, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    result = CliRunner().invoke(app, ["export", str(target), "--data-dir", str(data)])
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr and target.read_text() == "mine"
