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

from common.phrases import is_name_like
from reports.lexicon import Lexicon, build_lexicon
from reports.terms import TermWindows, term_windows
from reports.topics import vocabulary_limits
from warehouse import phrase_index, queries

WINDOW_WEEKS = 16  # topics: the longest topic horizon, 4 target weeks + 12 baseline weeks
TERM_HISTORY_WEEKS = 65  # the quarter horizon's 13 + 52 weeks
SERIES_WEEKS = 26  # a story's series: half a year of papers per week
LEXICON_PAPERS = 3_000  # keyworded papers the lexicon needs before it stops reading past the week


@dataclass(frozen=True)
class WeekInputs:
    """What the report of the ISO week starting `monday` is computed from."""

    monday: date
    lexicon: Lexicon  # keyphraseness and acronyms' long forms: which phrases are research terms
    window_terms: tuple[list[str], np.ndarray, np.ndarray, np.ndarray]  # the series window's indexed papers
    # (SERIES_WEEKS): (ids, weeks, CSR row offsets, term ids), in no particular order
    vocabulary: dict[int, str]  # term id -> phrase, the window's most frequent phrases within the topic limits
    papers: pl.DataFrame  # papers first listed in the topic window, with upvotes and sources
    volume: pl.DataFrame  # distinct papers per week and source over the topic window
    gainers: pl.DataFrame  # the week's sightings that gained the most upvotes
    term_windows: TermWindows  # each horizon's document totals and minimum
    term_counts: pl.DataFrame  # candidate phrases (and ids): documents per horizon window and over the history
    per_week: dict[date, int]  # indexed papers per week over the term history


def read_week_inputs(con: duckdb.DuckDBPyConnection, monday: date) -> WeekInputs:
    """Read everything the report of the week starting `monday` needs from the warehouse on `con`.

    Reads the phrase index; the caller keeps it current (flows.indexing.refresh_phrase_index).
    """
    sunday = monday + timedelta(days=6)
    first = monday - timedelta(weeks=WINDOW_WEEKS - 1)
    window_terms = phrase_index.window_term_ids(con, monday - timedelta(weeks=SERIES_WEEKS - 1), monday)
    low, high, most = vocabulary_limits(int((window_terms[1] >= np.datetime64(first)).sum()))
    vocabulary = phrase_index.window_vocabulary(con, first, monday, min_docs=low, max_docs=high, limit=most)
    papers = queries.papers_first_listed(con, first, sunday)
    volume = queries.weekly_source_volume(con, first, sunday)
    gainers = queries.upvote_gainers(con, monday - timedelta(days=7), sunday)
    per_week = phrase_index.indexed_papers_by_week(con, monday - timedelta(weeks=TERM_HISTORY_WEEKS), monday)
    windows = term_windows(per_week, monday)
    term_counts = phrase_index.term_window_counts(con, monday, windows.counted(), TERM_HISTORY_WEEKS)
    lexicon = read_lexicon(con, monday, term_counts, vocabulary)
    return WeekInputs(
        monday=monday,
        lexicon=lexicon,
        window_terms=window_terms,
        vocabulary=vocabulary,
        papers=papers,
        volume=volume,
        gainers=gainers,
        term_windows=windows,
        term_counts=term_counts,
        per_week=per_week,
    )


def read_lexicon(
    con: duckdb.DuckDBPyConnection, monday: date, term_counts: pl.DataFrame, vocabulary: dict[int, str]
) -> Lexicon:
    """The lexicon of the week starting `monday`: keyphraseness of the phrases the report may show
    (`term_counts`) or fit topics on (`vocabulary`) and of the names inside them ("GPU" in "GPU memory"),
    over the term history's keyworded papers; acronyms' long forms."""
    names = [w for term in term_counts["term"].to_list() if " " in term for w in term.split() if is_name_like(w)]
    asked = [*term_counts["term_id"].to_list(), *vocabulary, *phrase_index.phrase_ids(con, names)]
    sunday = monday + timedelta(days=6)
    return build_lexicon(
        phrase_index.keyword_paper_phrases(
            con, monday - timedelta(weeks=TERM_HISTORY_WEEKS), sunday, LEXICON_PAPERS, asked
        ),
        phrase_index.acronym_definitions(con),
        phrase_index.acronym_aliases(con),
    )
