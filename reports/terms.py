"""Rising and new key phrases of a week: document frequencies against a trailing baseline.

Scoring is the log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008): the prior comes from the whole history, so a phrase
needs more evidence the rarer it is, and small weekly counts (HF lists 30-200
papers a week) do not crown a phrase for going from 1 to 3. Boilerplate is
removed twice: by stop lists, and by a background model (phrases that appear
in most weeks of the history are not news).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

PRIOR_STRENGTH = 500.0  # a0 of the Dirichlet prior, in documents
BACKGROUND_WEEK_SHARE = 0.35  # a phrase present in this share of all weeks is background
PART_OF_PHRASE = 0.6  # drop a term when a longer phrase holds this share of its count
BACKGROUND_MIN_WEEKS = 8  # with less history than this, there is no background model


@dataclass(frozen=True)
class TermScore:
    """A phrase's evidence in the target window against the baseline."""

    term: str
    count: int  # target documents containing it
    baseline_count: int  # baseline documents containing it
    score: float  # z-score of the log-odds ratio (informative Dirichlet prior)
    new: bool  # absent from the baseline


@dataclass(frozen=True)
class WindowTotals:
    """Document totals behind a horizon's counts."""

    target: int  # documents in the target weeks
    baseline: int  # documents in the baseline weeks
    history: int  # documents in the history (the weeks before the report's week)
    history_weeks: int  # weeks of the history holding any document


def score_terms(counts: pl.DataFrame, totals: WindowTotals, *, min_count: int) -> list[TermScore]:
    """Rising phrases of the target window, strongest first (see the module docstring).

    `counts` has one row per phrase: term, count, baseline_count,
    history_count, weeks_present (weeks of the history it appears in).
    """
    background = (
        BACKGROUND_WEEK_SHARE * totals.history_weeks if totals.history_weeks >= BACKGROUND_MIN_WEEKS else float("inf")
    )
    y_i, y_j = pl.col("count").cast(pl.Float64), pl.col("baseline_count").cast(pl.Float64)
    alpha = PRIOR_STRENGTH * (pl.col("history_count") + 1) / (totals.history + 1)
    scored = (
        counts.filter((pl.col("count") >= min_count) & (pl.col("weeks_present") < background))
        .with_columns(alpha.alias("alpha"))
        .with_columns(
            (
                (_log_odds(y_i, totals.target) - _log_odds(y_j, totals.baseline))
                / (1 / (y_i + pl.col("alpha")) + 1 / (y_j + pl.col("alpha"))).sqrt()
            ).alias("score")
        )
        .filter(pl.col("score") > 0)
        .with_columns(pl.col("score").round(4))
        .sort(["score", "term"], descending=[True, False])
    )
    return _prefer_phrases(
        [
            TermScore(term, count, base, score, base == 0)
            for term, count, base, score in scored.select("term", "count", "baseline_count", "score").iter_rows()
        ]
    )


def _log_odds(count: pl.Expr, total: int) -> pl.Expr:
    alpha = pl.col("alpha")
    return ((count + alpha) / (total + PRIOR_STRENGTH - count - alpha).clip(lower_bound=1e-9)).log()


def _prefer_phrases(scored: list[TermScore]) -> list[TermScore]:
    # "test-time compute", not "test-time" and "compute": drop a term that is
    # mostly seen inside a longer rising phrase.
    inside: dict[str, int] = {}
    for term in scored:
        words = term.term.split()
        for n in range(1, len(words)):
            for i in range(len(words) - n + 1):
                part = " ".join(words[i : i + n])
                inside[part] = max(inside.get(part, 0), term.count)
    return [t for t in scored if inside.get(t.term, 0) < PART_OF_PHRASE * t.count]


# (target weeks, baseline weeks, minimum target documents) per horizon: "week"
# is W against the 8 weeks before; "momentum" the 4 weeks ending W against the
# 12 before, which catches a surge that builds over a month.
HORIZONS = {"week": (1, 8, 3), "momentum": (4, 12, 5)}
