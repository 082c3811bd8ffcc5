"""Rising and new research terms of a report: document frequencies against a trailing baseline.

Candidates come from the phrase index (common/phrases.py: noun-phrase-like
chunks). Here they are first weighed as research terms, then scored:

- Evidence: a candidate is kept when HF's own `ai_keywords` of the window's
  papers name it (a lexicon of research terms), or it holds a name ("GRPO",
  "Qwen2.5-VL"), or at least one of its words is rare in general English
  (wordfreq's Zipf frequency below COMMON_ZIPF): "consistent gains", "current
  agents" are made only of common English and are prose; "world models" is
  too, and is kept because HF's keywords name it.
- Variants (case, hyphen or space, plural) are one term under the spelling
  most papers use.
- Score: the log-odds ratio with an informative Dirichlet prior (Monroe,
  Colaresi & Quinn 2008), as a z-score; the prior comes from the whole
  history, so a term needs more evidence the rarer it is, and a steady term
  can still surge (there is no "always present, so background" rule). A term
  needs a minimum count that grows with the window's volume and a z-score of
  at least RISING_SCORE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import polars as pl

from common.phrases import is_name_like, term_key

PRIOR_STRENGTH = 250.0  # a0 of the Dirichlet prior, in documents (below one HF week: the data, not the prior, decide)
ALPHA_FLOOR = 0.5  # the least prior a term gets, in documents: a term unseen before is not infinitely surprising
RISING_SCORE = 2.0  # a term scoring this much (a z-score) is called rising (topics: trends.TOPIC_RISING_SCORE)
PART_OF_PHRASE = 0.6  # drop a term when a longer term holds this share of its count
MIN_SHARE = 0.005  # a term needs this share of the target window's papers (and the horizon's floor)
COMMON_ZIPF = 4.0  # words at least this frequent in general English (e.g. "gains" 4.3) carry no term alone


@dataclass(frozen=True)
class Horizon:
    """A comparison: the `target` weeks ending with the report's week against the `baseline` weeks before."""

    name: str
    target: int
    baseline: int
    floor: int  # minimum target documents whatever the volume
    title: str  # how the report names it


# "week" catches a sharp surge, "momentum" one that builds over a month, "quarter" a
# slow builder whose share doubles over months without a spike in any one week.
HORIZONS = {
    h.name: h
    for h in (
        Horizon("week", 1, 8, 3, "this week"),
        Horizon("momentum", 4, 12, 5, "last 4 weeks"),
        Horizon("quarter", 13, 52, 8, "this quarter"),
    )
}


def horizon_words(name: str) -> str:
    """'this week', 'last 4 weeks', 'this quarter': a horizon as a reader says it."""
    return HORIZONS[name].title if name in HORIZONS else name


@dataclass(frozen=True)
class TermScore:
    """A term's evidence in the target window against the baseline."""

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


def min_count(horizon: Horizon, target_documents: int) -> int:
    """The fewest target documents a term of this horizon needs: the floor, or MIN_SHARE of the volume."""
    return max(horizon.floor, math.ceil(MIN_SHARE * target_documents))


@dataclass(frozen=True)
class TermWindows:
    """A report week's windows: each horizon's document totals and the fewest documents a term needs."""

    totals: dict[str, WindowTotals]
    minimum: dict[str, int]

    def counted(self) -> dict[str, tuple[int, int, int]]:
        """Per horizon, (target weeks, baseline weeks, least target documents) for the term counts to read.

        Spellings are merged after the counts are read: a spelling with half the minimum may still add
        up to a term.
        """
        return {h.name: (h.target, h.baseline, max(2, -(-self.minimum[h.name] // 2))) for h in HORIZONS.values()}


def term_windows(per_week: dict[date, int], monday: date) -> TermWindows:
    """The windows of the week starting `monday`, from the indexed papers per week (Monday) up to it."""
    history = sum(n for week, n in per_week.items() if week < monday)
    totals = {
        h.name: WindowTotals(
            _documents(per_week, monday, range(h.target)),
            _documents(per_week, monday, range(h.target, h.target + h.baseline)),
            history,
        )
        for h in HORIZONS.values()
    }
    return TermWindows(totals, {name: min_count(HORIZONS[name], t.target) for name, t in totals.items()})


def _documents(per_week: dict[date, int], monday: date, weeks_back: range) -> int:
    return sum(per_week.get(monday - timedelta(weeks=n), 0) for n in weeks_back)


@lru_cache(maxsize=1 << 16)
def _rare_in_english(word: str) -> bool:
    from wordfreq import zipf_frequency

    parts = [p for p in word.replace("-", " ").split() if p]
    return any(zipf_frequency(p, "en") < COMMON_ZIPF for p in parts)


def is_research_term(term: str, lexicon: frozenset[str] | set[str]) -> bool:
    """Weigh the evidence that a candidate is a research term (see the module docstring)."""
    if term_key(term) in lexicon:
        return True
    words = term.split()
    return any(is_name_like(w) for w in words) or (len(words) > 1 and any(_rare_in_english(w) for w in words))


def merge_variants(
    counts: pl.DataFrame, lexicon: frozenset[str] | set[str], aliases: dict[str, str] | None = None
) -> pl.DataFrame:
    """Keep the research terms of `counts` and fold their spellings into one row per term.

    Spellings share a term_key; a long form papers define an acronym for
    (`aliases`: long-form key -> acronym) joins the acronym. Counts are summed
    (a paper that defines an acronym is indexed under the acronym alone, and
    one rarely writes a term two ways). The display form is the acronym, else
    the spelling in most target-window papers, then the most frequent in the history.
    """
    if counts.height == 0:
        return counts
    aliases = aliases or {}
    acronyms = {term_key(a) for a in aliases.values()}
    # One pass over the distinct spellings: (kept, key, is an acronym) per term.
    judged = [(t, term_key(t)) for t in counts["term"].to_list() if is_research_term(t, lexicon)]
    keys = pl.DataFrame(
        {
            "term": [t for t, _ in judged],
            "key": [term_key(aliases[k]) if k in aliases else k for _, k in judged],
            "acronym": [k in acronyms for _, k in judged],
        },
        schema={"term": pl.String, "key": pl.String, "acronym": pl.Boolean},
    )
    kept = counts.join(keys, on="term", how="inner")
    numbers = [c for c in counts.columns if c != "term"]
    first = ["acronym", *[c for c in numbers if c.endswith("_count")], "history_count"]
    return (
        kept.sort([*first, "term"], descending=[True] * len(first) + [False])
        .group_by("key", maintain_order=True)
        .agg(pl.col("term").first(), *[pl.col(c).sum() for c in numbers])
        .drop("key")
        .sort("term")
    )


def score_terms(counts: pl.DataFrame, totals: WindowTotals, *, min_count: int) -> list[TermScore]:
    """Rising terms of the target window, strongest first (see the module docstring).

    `counts` has one row per term: term, count, baseline_count, history_count.
    """
    y_i, y_j = pl.col("count").cast(pl.Float64), pl.col("baseline_count").cast(pl.Float64)
    alpha = (PRIOR_STRENGTH * (pl.col("history_count") + 1) / (totals.history + 1)).clip(lower_bound=ALPHA_FLOOR)
    scored = (
        counts.filter(pl.col("count") >= min_count)
        .with_columns(alpha.alias("alpha"))
        .with_columns(
            (
                (_log_odds(y_i, totals.target) - _log_odds(y_j, totals.baseline))
                / (1 / (y_i + pl.col("alpha")) + 1 / (y_j + pl.col("alpha"))).sqrt()
            ).alias("score")
        )
        .filter(pl.col("score") >= RISING_SCORE)
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
    # mostly seen inside a longer rising term.
    inside: dict[str, int] = {}
    for term in scored:
        words = term_key(term.term).split()
        for n in range(1, len(words)):
            for i in range(len(words) - n + 1):
                part = term_key(" ".join(words[i : i + n]))
                inside[part] = max(inside.get(part, 0), term.count)
    return [t for t in scored if inside.get(term_key(t.term), 0) < PART_OF_PHRASE * t.count]
