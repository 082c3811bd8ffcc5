"""The naive weekly report, for bench/report_bench.py to compare against in the same run.

What a report cost before the phrase index: every report re-extracts the key
phrases of a year of titles and abstracts in Python, sums per-week Counters
for each horizon, and fits topics with TfidfVectorizer(analyzer=phrases) and
full-batch NMF over the whole window. Same phrase rules and the same scoring
formula as reports/, so its rising terms must equal the indexed path's.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from common.phrases import phrases
from reports.terms import HORIZONS, WindowTotals, merge_variants, min_count, term_windows
from reports.topics import topic_count, vocabulary_limits
from reports.trends import rank_terms
from reports.week_inputs import TERM_HISTORY_WEEKS, WINDOW_WEEKS, read_lexicon
from warehouse import phrase_index


def texts_by_week(con: duckdb.DuckDBPyConnection, first: date, last: date) -> dict[date, list[str]]:
    """Titles and abstracts of the papers first listed in weeks [first, last], per week (Monday)."""
    rows = con.execute(
        """SELECT date_trunc('week', first_digest_date)::DATE, title || '. ' || coalesce(abstract, '')
                          FROM papers WHERE first_digest_date BETWEEN ? AND ? ORDER BY arxiv_id""",
        [first, last + timedelta(days=6)],
    ).fetchall()
    weeks: dict[date, list[str]] = {}
    for week, text in rows:
        weeks.setdefault(week, []).append(text)
    return weeks


def rising_terms(con: duckdb.DuckDBPyConnection, monday: date) -> tuple[dict[str, list[tuple]], dict[str, float]]:
    """Per horizon: (term, count, baseline_count, score) strongest first; and seconds per stage."""
    seconds, began = {}, time.perf_counter()
    weeks = texts_by_week(con, monday - timedelta(weeks=TERM_HISTORY_WEEKS), monday)
    seconds["read texts (SQL)"] = time.perf_counter() - began
    began = time.perf_counter()
    counts = {week: (_document_frequencies(texts), len(texts)) for week, texts in weeks.items()}
    seconds["extract phrases, count per week"] = time.perf_counter() - began
    began = time.perf_counter()
    history = [w for w in counts if w < monday]
    history_counts, n_history = _sum(counts, history)
    totals, columns = {}, {}
    for h in HORIZONS.values():
        target, n_target = _sum(counts, [monday - timedelta(weeks=n) for n in range(h.target)])
        baseline, n_baseline = _sum(
            counts, [monday - timedelta(weeks=n) for n in range(h.target, h.target + h.baseline)]
        )
        totals[h.name] = WindowTotals(n_target, n_baseline, n_history)
        columns[h.name] = (target, baseline)
    terms = sorted({t for target, _ in columns.values() for t in target})
    frame = pl.DataFrame(
        {
            "term": terms,
            **{f"{h}_count": [target.get(t, 0) for t in terms] for h, (target, _) in columns.items()},
            **{f"{h}_baseline": [baseline.get(t, 0) for t in terms] for h, (_, baseline) in columns.items()},
            "history_count": [history_counts.get(t, 0) for t in terms],
        }
    )
    # The same evidence, merging and ranking as reports/ (what differs is how the counts were made).
    # The evidence is read as reports/ reads it (the same phrases asked about), so decisions match.
    windows = term_windows(
        phrase_index.indexed_papers_by_week(con, monday - timedelta(weeks=TERM_HISTORY_WEEKS), monday), monday
    )
    asked = phrase_index.term_window_counts(con, monday, windows.counted(), TERM_HISTORY_WEEKS)
    first = monday - timedelta(weeks=WINDOW_WEEKS - 1)
    low, high, most = vocabulary_limits(sum(windows_papers(con, first, monday)))
    vocabulary = phrase_index.window_vocabulary(con, first, monday, min_docs=low, max_docs=high, limit=most)
    lexicon = read_lexicon(con, monday, asked, vocabulary)
    minimum = {name: min_count(HORIZONS[name], t.target) for name, t in totals.items()}
    rising, new = rank_terms(merge_variants(frame, lexicon), totals, minimum, lexicon)
    scored = {
        h: [(t.term, t.count, t.baseline_count, t.score) for t in rising + new if t.horizon == h] for h in HORIZONS
    }
    seconds["sum counters, score both horizons"] = time.perf_counter() - began
    return scored, seconds


def fit_topics_from_texts(con: duckdb.DuckDBPyConnection, monday: date, seed: int) -> float:
    """Seconds to fit the window's topics from its texts (phrases, TF-IDF, full NMF)."""
    began = time.perf_counter()
    weeks = texts_by_week(con, monday - timedelta(weeks=WINDOW_WEEKS - 1), monday)
    texts = [text for week in sorted(weeks) for text in weeks[week]]
    matrix = TfidfVectorizer(
        analyzer=lambda t: sorted(phrases(t)), min_df=3, max_df=0.25, sublinear_tf=True, dtype=np.float32
    ).fit_transform(texts)
    NMF(n_components=topic_count(len(texts)), init="nndsvd", random_state=seed, max_iter=300).fit(matrix)
    return time.perf_counter() - began


def windows_papers(con: duckdb.DuckDBPyConnection, first: date, last: date) -> list[int]:
    """Indexed papers per week of [first, last] (what sizes the topic vocabulary)."""
    return list(phrase_index.indexed_papers_by_week(con, first, last).values())


def _document_frequencies(texts: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(phrases(text))
    return counts


def _sum(counts: dict[date, tuple[Counter[str], int]], weeks: list[date]) -> tuple[Counter[str], int]:
    total, docs = Counter(), 0
    for week in weeks:
        found, n = counts.get(week, (Counter(), 0))
        total.update(found)
        docs += n
    return total, docs
