"""The naive weekly report, for bench/report_bench.py to compare against in the same run.

What a report cost before the phrase index: every report re-extracts the key
phrases of a year of titles and abstracts in Python, sums per-week Counters
for each horizon, and fits topics with TfidfVectorizer(analyzer=phrases) and
full-batch NMF over the whole window. Same phrase rules and the same scoring
formula as reports/, so its rising terms must equal the indexed path's.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from datetime import date, timedelta

import duckdb
import numpy as np
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from extractors.phrases import phrases
from reports.terms import BACKGROUND_MIN_WEEKS, BACKGROUND_WEEK_SHARE, HORIZONS, PART_OF_PHRASE, PRIOR_STRENGTH
from reports.topics import topic_count
from reports.trends import TERM_HISTORY_WEEKS, WINDOW_WEEKS


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
    present = Counter(term for w in history for term in counts[w][0])
    background = (
        {t for t, n in present.items() if n >= BACKGROUND_WEEK_SHARE * len(history)}
        if len(history) >= BACKGROUND_MIN_WEEKS
        else set()
    )
    scored = {}
    for horizon, (target_weeks, baseline_weeks, min_count) in HORIZONS.items():
        target, n_target = _sum(counts, [monday - timedelta(weeks=n) for n in range(target_weeks)])
        baseline, n_baseline = _sum(
            counts, [monday - timedelta(weeks=n) for n in range(target_weeks, target_weeks + baseline_weeks)]
        )
        scored[horizon] = _score(
            target, n_target, baseline, n_baseline, history_counts, n_history, background, min_count
        )
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


def _score(
    target: Counter,
    n_target: int,
    baseline: Counter,
    n_baseline: int,
    history: Counter,
    n_history: int,
    background: set[str],
    min_count: int,
) -> list[tuple]:
    def log_odds(count: int, total: int, alpha: float) -> float:
        return math.log((count + alpha) / max(total + PRIOR_STRENGTH - count - alpha, 1e-9))

    scored = []
    for term, y_i in target.items():
        if y_i < min_count or term in background:
            continue
        y_j = baseline.get(term, 0)
        alpha = PRIOR_STRENGTH * (history.get(term, 0) + 1) / (n_history + 1)
        score = (log_odds(y_i, n_target, alpha) - log_odds(y_j, n_baseline, alpha)) / math.sqrt(
            1 / (y_i + alpha) + 1 / (y_j + alpha)
        )
        if score > 0:
            scored.append((term, y_i, y_j, round(score, 4)))
    scored.sort(key=lambda t: (-t[3], t[0]))
    kept = []
    for term in scored:  # a phrase rather than its parts, by scanning every longer phrase
        longer = [t for t in scored if len(t[0]) > len(term[0]) and f" {term[0]} " in f" {t[0]} "]
        if not any(t[1] >= PART_OF_PHRASE * term[1] for t in longer):
            kept.append(term)
    return kept
