"""Rising and new research terms of a report: document rates against a trailing baseline.

Candidates come from the phrase index (common/phrases.py: noun-phrase-like
chunks). Here they are first weighed as research terms (reports/lexicon.py),
then scored:

- Variants (case, hyphen or space, plural, an acronym and its long form) are
  one term under the acronym, else the spelling most papers use.
- Effect size, conservatively: a term's rate is its share of the window's
  papers (volume-normalised, so a busy week lifts nothing by itself). Its
  rate ratio against the baseline window has a lower confidence bound
  (log scale, Poisson errors, one-sided 95%); a term rises when that bound is
  at least MIN_LOWER_RATIO, and terms are ranked by it. A large count no longer
  makes a small difference "significant": "LLM" in 68 papers of a busy week
  against 44.6 a week before is a share barely above its usual one, and stays
  out. A term held by UMBRELLA_SHARE of the baseline's papers is field-wide and
  must at least double (UMBRELLA_GROWTH). A term also needs a minimum count that
  grows with the window's volume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from common.phrases import term_key
from reports.lexicon import Lexicon

CONFIDENCE_Z = 1.645  # one-sided 95%: the lower bound of a rate ratio that is wrong 1 time in 20
MIN_LOWER_RATIO = 1.5  # a term rises when its rate is, with that confidence, at least this times its baseline rate
SMOOTHING = 0.5  # documents added to both counts: a term unseen before has a finite ratio and a wide bound
# The baseline is taken to hold one paper more per target window (at the baseline's volume) than it does:
# a rise from nothing to three papers in a week is weak evidence of a trend, from nothing to six is not.
PRIOR_PAPERS = 1.0
UMBRELLA_SHARE = 0.03  # a term in this share of the baseline's papers names a field, not a trend ...
UMBRELLA_GROWTH = 2.0  # ... and is shown only when its share at least doubled
PART_OF_PHRASE = 0.6  # drop a term when a longer term holds this share of its count
MIN_SHARE = 0.005  # a term needs this share of the target window's papers (and the horizon's floor)


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
        Horizon("momentum", 4, 12, 4, "building for 4 weeks"),
        Horizon("quarter", 13, 52, 6, "this quarter"),
    )
}


def horizon_words(name: str) -> str:
    """'this week', 'building for 4 weeks', 'this quarter': a horizon as a reader says it."""
    return HORIZONS[name].title if name in HORIZONS else name


@dataclass(frozen=True)
class TermScore:
    """A term's evidence in the target window against the baseline."""

    term: str
    count: int  # target documents containing it
    baseline_count: int  # baseline documents containing it
    score: float  # the lower confidence bound of the rate ratio (what ranks terms)
    new: bool  # absent from the baseline
    growth: float = 0.0  # the rate ratio itself: target share over baseline share


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


def merge_variants(counts: pl.DataFrame, lexicon: Lexicon) -> pl.DataFrame:
    """Keep the research terms of `counts` and fold their spellings into one row per term.

    Spellings share a term_key; a long form papers define an acronym for
    (`lexicon.aliases`) joins the acronym. Counts are summed (a paper that
    defines an acronym is indexed under the acronym alone, and one rarely
    writes a term two ways). The display form is the acronym, else the
    spelling in most target-window papers, then the most frequent in the
    history. A `term_ids` column, when present, becomes the list of the ids merged.
    """
    if counts.height == 0:
        return counts
    acronyms = {term_key(a) for a in lexicon.aliases.values()}
    judged = [(t, lexicon.key(t)) for t in counts["term"].to_list() if lexicon.is_research_term(t)]
    keys = pl.DataFrame(
        {"term": [t for t, _ in judged], "key": [k for _, k in judged], "acronym": [k in acronyms for _, k in judged]},
        schema={"term": pl.String, "key": pl.String, "acronym": pl.Boolean},
    )
    kept = counts.join(keys, on="term", how="inner")
    numbers = [c for c in counts.columns if c not in ("term", "term_id")]
    first = ["acronym", *[c for c in numbers if c.endswith("_count")], "history_count"]
    ids = [pl.col("term_id").alias("term_ids")] if "term_id" in counts.columns else []
    return (
        kept.sort([*first, "term"], descending=[True] * len(first) + [False])
        .group_by("key", maintain_order=True)
        .agg(pl.col("term").first(), *[pl.col(c).sum() for c in numbers], *ids)
        .drop("key")
        .sort("term")
    )


def score_terms(counts: pl.DataFrame, totals: WindowTotals, *, min_count: int) -> list[TermScore]:
    """Rising terms of the target window, strongest first (see the module docstring).

    `counts` has one row per term: term, count, baseline_count.
    """
    scored = []
    for term, count, base in (
        counts.filter(pl.col("count") >= min_count).select("term", "count", "baseline_count").iter_rows()
    ):
        found = rise(count, totals.target, base, totals.baseline)
        if found is not None:
            scored.append(TermScore(term, count, base, found[1], base == 0, found[0]))
    return _prefer_phrases(sorted(scored, key=lambda t: (-t.score, t.term)))


def rise(count: int, target: int, baseline_count: int, baseline: int) -> tuple[float, float] | None:
    """(growth, its lower 95% bound) of `count` of `target` papers against `baseline_count` of `baseline`
    papers; None unless that is a rise (see the module docstring)."""
    n_i, n_j = max(target, 1), max(baseline, 1)
    prior = baseline_prior(n_i, n_j)
    log_ratio = math.log((count + SMOOTHING) / n_i) - math.log((baseline_count + prior) / n_j)
    error = math.sqrt(1 / (count + SMOOTHING) + 1 / (baseline_count + prior))
    raw = (count / n_i) / (max(baseline_count, SMOOTHING) / n_j)
    growth, bound = min(math.exp(log_ratio), raw), math.exp(log_ratio - CONFIDENCE_Z * error)
    field_wide = baseline_count / n_j >= UMBRELLA_SHARE
    if bound < MIN_LOWER_RATIO or growth < MIN_LOWER_RATIO or (field_wide and growth < UMBRELLA_GROWTH):
        return None
    return round(growth, 2), round(bound, 3)


def baseline_prior(target_documents: int, baseline_documents: int) -> float:
    """The documents added to a baseline count: SMOOTHING, and PRIOR_PAPERS per target window at its volume."""
    return SMOOTHING + PRIOR_PAPERS * max(baseline_documents, 1) / max(target_documents, 1)


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
