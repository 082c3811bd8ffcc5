from dataclasses import replace
from datetime import timedelta

import polars as pl

from tests.warehouse.test_load import T0, PageResult, load_pages, page, record
from warehouse import phrase_index


def index_all(con) -> None:
    ids = [row[0] for row in con.execute("SELECT arxiv_id FROM papers ORDER BY 1").fetchall()]
    texts = phrase_index.paper_texts(con, ids)
    entries = texts.select("arxiv_id", "text_hash").with_columns(
        week=pl.lit(T0.date() - timedelta(days=T0.weekday())), terms=pl.lit(["a phrase"])
    )
    phrase_index.store_paper_terms(con, entries, version=3)


def test_only_papers_whose_text_changed_are_marked_stale(warehouse):
    load_pages(warehouse, [PageResult(page(), [record("2604.00001"), record("2604.00002", rank=2)])], run_id="r1")
    index_all(warehouse)
    later = T0 + timedelta(hours=1)
    changed = replace(record("2604.00001", at=later), title="A better title")
    load_pages(
        warehouse,
        [PageResult(page("b" * 64, at=later), [changed, record("2604.00002", rank=2, at=later)])],
        run_id="r2",
    )
    assert warehouse.execute("SELECT arxiv_id, version FROM paper_terms ORDER BY 1").fetchall() == [
        ("2604.00001", 0),
        ("2604.00002", 3),
    ]
    assert phrase_index.indexed_versions(warehouse) == {3}
    assert phrase_index.mark_changed_texts_stale(warehouse, pl.Series(["2604.00002"])) == 0
