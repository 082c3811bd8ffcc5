from dataclasses import replace
from datetime import timedelta

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

import flows.indexing as indexing
from flows.indexing import rebuild_phrase_index, refresh_phrase_index
from papertrend.cli import app
from tests.factories import DAY, T0, PageResult, load_pages, page, record
from warehouse import phrase_index
from warehouse.db import connect

MONDAY = DAY - timedelta(days=DAY.weekday())


def paper(arxiv_id: str, text: str, day=DAY, at=T0):
    return replace(record(arxiv_id, day=day, at=at), title=text, abstract="")


def load(con, *papers, sha="a" * 64, day=DAY, at=T0):
    load_pages(con, [PageResult(page(sha=sha, day=day, at=at), list(papers))], run_id="test")


def week_counts(con) -> dict[tuple, int]:
    """(week, phrase) -> docs as stored."""
    return {
        (w, t): n
        for w, t, n in con.execute(
            "SELECT w.week, t.term, w.docs FROM term_weeks w JOIN terms t USING (term_id)"
        ).fetchall()
    }


def recounted(con) -> dict[tuple, int]:
    """(week, phrase) -> docs recomputed from the per-paper entries: what term_weeks must equal."""
    return {
        (w, t): n
        for w, t, n in con.execute("""
        SELECT p.week, t.term, count(*) FROM (SELECT week, unnest(term_ids) AS term_id FROM paper_terms) p
        JOIN terms t USING (term_id) GROUP BY ALL""").fetchall()
    }


def test_new_papers_are_indexed_once_and_counted_per_week(warehouse):
    load(
        warehouse,
        paper("2604.00001", "Test-time compute for GRPO"),
        paper("2604.00002", "Scaling test-time compute"),
        paper("2604.00003", "Diffusion transformers"),
    )
    assert refresh_phrase_index(warehouse) == 3
    assert refresh_phrase_index(warehouse) == 0
    counts = week_counts(warehouse)
    assert counts[(MONDAY, "test-time compute")] == 2 and counts[(MONDAY, "GRPO")] == 1
    assert counts == recounted(warehouse)
    assert phrase_index.indexed_papers_by_week(warehouse, MONDAY, MONDAY) == {MONDAY: 3}


def test_a_changed_text_is_reindexed_and_its_week_recounted(warehouse):
    load(warehouse, paper("2604.00001", "GRPO for math"))
    refresh_phrase_index(warehouse)
    load(
        warehouse,
        paper("2604.00001", "DPO for math", at=T0 + timedelta(hours=1)),
        sha="b" * 64,
        at=T0 + timedelta(hours=1),
    )
    assert refresh_phrase_index(warehouse) == 1
    counts = week_counts(warehouse)
    assert (MONDAY, "GRPO") not in counts and counts[(MONDAY, "DPO")] == 1
    assert counts == recounted(warehouse)


def test_a_paper_found_listed_earlier_moves_to_that_week(warehouse):
    load(warehouse, paper("2604.00001", "Mamba layers"))
    refresh_phrase_index(warehouse)
    earlier = DAY - timedelta(days=14)
    load(warehouse, paper("2604.00001", "Mamba layers", day=earlier), sha="c" * 64, day=earlier)
    assert refresh_phrase_index(warehouse) == 1
    counts = week_counts(warehouse)
    assert counts == {(MONDAY - timedelta(days=14), "mamba layers"): 1}
    assert counts == recounted(warehouse)


def test_worker_processes_index_exactly_what_one_process_does(tmp_path):
    texts = [f"Paper {n} on GRPO and test-time compute with Mamba-{n % 4} layers" for n in range(40)]
    tables = []
    for workers in (1, 2):
        with connect(tmp_path / f"w{workers}.duckdb") as con:
            load(con, *[paper(f"2604.{n:05d}", text) for n, text in enumerate(texts)])
            assert refresh_phrase_index(con, workers=workers) == 40
            tables.append(
                (
                    week_counts(con),
                    con.execute("""
                SELECT p.arxiv_id, list_sort(list(t.term)) FROM (SELECT arxiv_id, unnest(term_ids) AS term_id
                FROM paper_terms) p JOIN terms t USING (term_id) GROUP BY 1 ORDER BY 1""").fetchall(),
                )
            )
    assert tables[0] == tables[1] and len(tables[0][1]) == 40


def test_small_batches_index_exactly_what_one_batch_does(tmp_path, monkeypatch):
    texts = [f"Paper {n} on GRPO and test-time compute with Mamba-{n % 4} layers" for n in range(30)]
    tables = []
    for size in (1_000, 7):  # 7: five batches, phrases repeated across them and fresh in each
        monkeypatch.setattr(indexing, "SMALL_BATCH_PAPERS", size)
        with connect(tmp_path / f"b{size}.duckdb") as con:
            load(con, *[paper(f"2604.{n:05d}", text) for n, text in enumerate(texts)])
            assert refresh_phrase_index(con) == 30
            tables.append((week_counts(con), con.execute("SELECT * FROM repeated_terms ORDER BY term").fetchall()))
    assert tables[0][0] == tables[1][0] and tables[0][0][(MONDAY, "GRPO")] == 30
    assert [t for _, t in tables[0][1]] == [t for _, t in tables[1][1]]


def test_a_failed_batch_leaves_the_index_as_it_was(warehouse):
    load(warehouse, paper("2604.00001", "GRPO for math"))
    refresh_phrase_index(warehouse)
    before = {t: warehouse.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in phrase_index.INDEX_TABLES}
    broken = pl.DataFrame(
        {
            "arxiv_id": ["2604.00001", "2604.00002"],
            "week": [MONDAY, None],
            "text_hash": [1, 2],
            "terms": [["brand new phrase"], ["another one"]],
        },
        schema={"arxiv_id": pl.String, "week": pl.Date, "text_hash": pl.UInt64, "terms": pl.List(pl.String)},
    )
    with pytest.raises(duckdb.ConstraintException):
        phrase_index.store_paper_terms(warehouse, broken, version=1)
    assert {
        t: warehouse.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in phrase_index.INDEX_TABLES
    } == before


def test_new_phrase_rules_reindex_every_paper(warehouse, monkeypatch):
    load(warehouse, paper("2604.00001", "GRPO for math"), paper("2604.00002", "DPO for code"))
    refresh_phrase_index(warehouse)
    monkeypatch.setattr(indexing, "PHRASES_VERSION", indexing.PHRASES_VERSION + 1)
    assert refresh_phrase_index(warehouse) == 2
    assert refresh_phrase_index(warehouse) == 0
    # Started over: no phrase of these two papers is in both, so none counts as repeated.
    assert warehouse.execute("SELECT count(*) FROM repeated_terms").fetchall() == [(0,)]
    assert week_counts(warehouse) == recounted(warehouse)


def test_rebuild_gives_the_same_counts(warehouse):
    load(warehouse, paper("2604.00001", "GRPO for math"), paper("2604.00002", "GRPO for code"))
    refresh_phrase_index(warehouse)
    counts = week_counts(warehouse)
    assert rebuild_phrase_index(warehouse) == 2 and week_counts(warehouse) == counts


def test_the_cli_refreshes_and_rebuilds_the_index(tmp_path):
    with connect(tmp_path / "warehouse.duckdb") as con:
        load(con, paper("2604.00001", "GRPO for math"))
    runner = CliRunner()
    first = runner.invoke(app, ["index-terms", "--data-dir", str(tmp_path)])
    again = runner.invoke(app, ["index-terms", "--data-dir", str(tmp_path)])
    rebuilt = runner.invoke(app, ["index-terms", "--rebuild", "--data-dir", str(tmp_path)])
    assert [r.stdout.strip() for r in (first, again, rebuilt)] == ["indexed=1", "indexed=0", "indexed=1"]
