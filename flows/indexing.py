"""Keeping the key-phrase index current: after every load, and before every report.

Phrase extraction is Python (about half a millisecond a paper), so it is done
once per paper and stored, not once per report: a weekly report then reads
counts with SQL. Large backlogs (a first backfill, a new phrase rules version)
are spread over worker processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date

import duckdb
import polars as pl

from common.phrases import PHRASES_VERSION, phrases_and_acronyms
from warehouse import phrase_index

log = logging.getLogger(__name__)
BATCH_PAPERS = 25_000  # papers per stored batch (one transaction each) of a large backlog
PARALLEL_FROM = 20_000  # below this many stale papers, one process is faster than starting workers
# A run's own new papers (fewer than PARALLEL_FROM) go in smaller batches: one batch of 8,000
# papers held 180 MB of phrase lists at the end of an ingest (bench ingest peak RSS 459 MB). A
# batch costs a scan of paper_terms, cheap at that size; a 1.3M-paper rebuild keeps the large ones.
SMALL_BATCH_PAPERS = 2_000


def refresh_phrase_index(
    con: duckdb.DuckDBPyConnection, *, since: date | None = None, until: date | None = None, workers: int | None = None
) -> int:
    """Index the papers first listed in [since, until] (default: all) that are new or changed; returns how many.

    Each batch commits on its own, so an interrupted refresh keeps what it did
    and the next one continues.
    """
    if phrase_index.indexed_versions(con) - {PHRASES_VERSION}:
        # New phrase rules change every paper's phrases: start over, dictionary included
        # (re-indexing in place would keep every old phrase and call them all repeated).
        phrase_index.clear_term_index(con)
    changes = phrase_index.index_changes(con, PHRASES_VERSION, since, until)
    gone = changes.filter(pl.col("gone"))
    if gone.height:
        phrase_index.remove_entries(con, gone["arxiv_id"].to_list())
    stale = changes.filter(~pl.col("gone")).drop("gone")
    if stale.height == 0:
        return 0
    parallel = workers if workers is not None else (os.cpu_count() or 1) if stale.height >= PARALLEL_FROM else 1
    log.info("indexing key phrases of %d paper(s) with %d process(es)", stale.height, parallel)
    batch_papers = BATCH_PAPERS if stale.height >= PARALLEL_FROM else SMALL_BATCH_PAPERS
    with _phrase_pool(parallel) as pool:
        # The batch whose phrases workers compute while the previous one is stored.
        waiting: tuple[pl.DataFrame, Iterable[tuple[list[str], list[tuple[str, str]]]]] | None = None
        for start in range(0, stale.height, batch_papers):
            batch = stale.slice(start, batch_papers)
            texts = phrase_index.paper_texts(con, batch["arxiv_id"].to_list())
            text = texts["text"].to_list()
            found = pool.map(_index_text, text, chunksize=500) if pool else map(_index_text, text)
            if waiting is not None:
                _store(con, *waiting)
            waiting = (batch.with_columns(texts["text_hash"]), found)
        if waiting is not None:  # always: there is at least one stale paper, so at least one batch
            _store(con, *waiting)
    return stale.height


def _store(
    con: duckdb.DuckDBPyConnection, batch: pl.DataFrame, found: Iterable[tuple[list[str], list[tuple[str, str]]]]
) -> None:
    results = list(found)
    entries = batch.with_columns(pl.Series("terms", [terms for terms, _ in results], dtype=pl.List(pl.String)))
    pairs = [pair for _, defined in results for pair in defined]
    aliases = (
        pl.DataFrame(pairs, schema={"acronym": pl.String, "long_key": pl.String}, orient="row")
        .group_by("acronym", "long_key")
        .len("papers")
        .with_columns(pl.col("papers").cast(pl.Int32))
        .sort("acronym", "long_key")
    )
    phrase_index.store_paper_terms(con, entries, PHRASES_VERSION, aliases)


def rebuild_phrase_index(con: duckdb.DuckDBPyConnection, *, workers: int | None = None) -> int:
    """Drop the index and build it again from `papers`; returns papers indexed."""
    phrase_index.clear_term_index(con)
    return refresh_phrase_index(con, workers=workers)


def _index_text(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    terms, defined = phrases_and_acronyms(text)
    return sorted(terms), sorted(defined.items())


@contextmanager
def _phrase_pool(parallel: int) -> Iterator[ProcessPoolExecutor | None]:
    """A process pool when `parallel` > 1, else None (the caller maps in-process)."""
    if parallel <= 1:
        yield None
        return
    # spawn, not fork: the parent holds DuckDB's and Prefect's threads.
    with ProcessPoolExecutor(parallel, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool
