"""The query step of the weekly report: every frame its trends are computed from, read in one go.

The SQL is the warehouse's (warehouse/queries.py, warehouse/phrase_index.py);
the sizes some reads take (how many phrases may describe topics, which term
counts can matter) come from the pure rules of topics.py and terms.py.
reports/trends.py computes the report from what this returns, without I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from reports.terms import TermWindows, term_windows
from reports.topics import vocabulary_limits
from warehouse import phrase_index, queries

WINDOW_WEEKS = 16  # topics: the longest topic horizon, 4 target weeks + 12 baseline weeks
TERM_HISTORY_WEEKS = 65  # the quarter horizon's 13 + 52 weeks; also the prior for terms


@dataclass(frozen=True)
class WeekInputs:
    """What the report of the ISO week starting `monday` is computed from."""

    monday: date
    keywords: list[str]  # HF's ai_keywords over the term history: a lexicon of research terms
    window_terms: tuple[list[str], np.ndarray, np.ndarray, np.ndarray]  # the topic window's indexed papers:
    # (ids, weeks, CSR row offsets, term ids), in no particular order
    vocabulary: dict[int, str]  # term id -> phrase, the window's most frequent phrases within the topic limits
    papers: pl.DataFrame  # papers first listed in the topic window, with upvotes and sources
    volume: pl.DataFrame  # distinct papers per week and source over the topic window
    gainers: pl.DataFrame  # the week's sightings that gained the most upvotes
    term_windows: TermWindows  # each horizon's document totals and minimum
    term_counts: pl.DataFrame  # candidate phrases' documents per horizon window and over the history
    aliases: dict[str, str]  # long form -> the acronym papers define for it


def read_week_inputs(con: duckdb.DuckDBPyConnection, monday: date) -> WeekInputs:
    """Read everything the report of the week starting `monday` needs from the warehouse on `con`.

    Reads the phrase index; the caller keeps it current (flows.indexing.refresh_phrase_index).
    """
    sunday = monday + timedelta(days=6)
    first = monday - timedelta(weeks=WINDOW_WEEKS - 1)
    keywords = queries.window_keywords(con, monday - timedelta(weeks=TERM_HISTORY_WEEKS), sunday)
    window_terms = phrase_index.window_term_ids(con, first, monday)
    low, high, most = vocabulary_limits(len(window_terms[0]))
    vocabulary = phrase_index.window_vocabulary(con, first, monday, min_docs=low, max_docs=high, limit=most)
    papers = queries.papers_first_listed(con, first, sunday)
    volume = queries.weekly_source_volume(con, first, sunday)
    gainers = queries.upvote_gainers(con, monday - timedelta(days=7), sunday)
    per_week = phrase_index.indexed_papers_by_week(con, monday - timedelta(weeks=TERM_HISTORY_WEEKS), monday)
    windows = term_windows(per_week, monday)
    return WeekInputs(
        monday=monday,
        keywords=keywords,
        window_terms=window_terms,
        vocabulary=vocabulary,
        papers=papers,
        volume=volume,
        gainers=gainers,
        term_windows=windows,
        term_counts=phrase_index.term_window_counts(con, monday, windows.counted(), TERM_HISTORY_WEEKS),
        aliases=phrase_index.acronym_aliases(con),
    )
