"""Rising and new key phrases of a week: document frequencies against a trailing baseline.

Scoring is the log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008): the prior comes from the whole history, so a phrase
needs more evidence the rarer it is, and small weekly counts (HF lists 30-200
papers a week) do not crown a phrase for going from 1 to 3. Boilerplate is
removed twice: by stop lists, and by a background model (phrases that appear
in most weeks of the history are not news).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

_URL = re.compile(r"https?://\S+|\b[\w.-]+\.(?:com|org|io|ai|net)(?:/\S*)?", re.I)
_TOKEN_ANY_CASE = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"']|\s-\s")
STOPWORDS = frozenset("""
a about above across after again against all almost also although always among an and any are as at be
because been being between both but by can could did do does done during each either enable enables
enabling even every few for from further had has have having how however if in into is it its itself just
less like made make makes many may more most much must new not novel of often on once one only or other
our out over paper per present propose proposed provide provides rather same several should show shows
significant significantly since so some such than that the their them then there these they this those
through thus to two under up upon use used uses using various very via was we well were what when where
whether which while who whose will with within without work would yet first second three both based
existing approach approaches method methods model models results result task tasks data performance
study studies framework frameworks state art state-of-the-art different new large however key
""".split()) | frozenset("""
demonstrate demonstrates demonstrated demonstrating highlight highlights highlighting address addresses
addressing achieve achieves achieved achieving outperform outperforms outperformed outperforming surpass
surpasses surpassing analyze analyzes analyse analyses facilitate facilitates shown consistently remarkable
impressive comprehensive extensive carefully rapidly widespread substantial systematically effectively
efficiently notably crucial critical ability abilities range role need needs solution solutions
""".split())   # academic verbs and praise: a phrase starting or ending on one is prose, not a topic
# Academic boilerplate that is never a trend, whatever its counts.
BOILERPLATE = frozenset("""
github com|https github com|code is available|code available|publicly available|available at|we propose
|results show|experimental results|extensive experiments|remains underexplored|findings highlight
|bridge this gap|to address|address this|this work|in this work|in this paper|our method|our approach
|outperforms|state of the art|demonstrate that|we introduce|we present|paper introduces|project page
|remains challenging|recent advances|recent years|wide range|comprehensive|furthermore|moreover
|highlighting the potential|presents significant challenges|comprehensive review|fill this gap|remains an open
|average improvement|critical challenges|systematic evaluation|achieves performance comparable|offers a promising
|capabilities of llms|struggle with complex|significant challenges|promising direction|extensive evaluations
|designed to evaluate|experiments demonstrate|extensive experiments demonstrate|demonstrate the effectiveness
|revolutionized natural language|training strategy|real-world scenarios|real-world applications
|address these challenges|recent advancements|real-world|future research|address these limitations
|to address these|paving the way|state-of-the-art performance|superior performance|significantly outperforms
|simple yet effective|large-scale|high-quality|fine-grained|task-specific|domain-specific|general-purpose|end-to-end
|plug-and-play|off-the-shelf|cutting-edge|well-established|data-driven|time-consuming|low-cost|human-like
""".replace("\n", "").split("|"))
PRIOR_STRENGTH = 500.0     # a0 of the Dirichlet prior, in documents
BACKGROUND_WEEK_SHARE = 0.35 # a phrase present in this share of all weeks is background
PART_OF_PHRASE = 0.6       # drop a term when a longer phrase holds this share of its count
BACKGROUND_MIN_WEEKS = 8   # with less history than this, there is no background model
PHRASES_VERSION = 3        # bump when phrases() changes: the stored phrase index is then rebuilt (never 0)


@dataclass(frozen=True)
class TermScore:
    """A phrase's evidence in the target window against the baseline."""

    term: str
    count: int             # target documents containing it
    baseline_count: int    # baseline documents containing it
    score: float           # z-score of the log-odds ratio (informative Dirichlet prior)
    new: bool              # absent from the baseline


@dataclass(frozen=True)
class WindowTotals:
    """Document totals behind a horizon's counts."""

    target: int            # documents in the target weeks
    baseline: int          # documents in the baseline weeks
    history: int           # documents in the history (the weeks before the report's week)
    history_weeks: int     # weeks of the history holding any document


def phrases(text: str) -> set[str]:
    """The 1-3 word phrases of a text, not crossing punctuation, not starting or ending on a stopword.

    A single word counts only when it looks like a name (GRPO, DeepSeek-R1,
    Mamba: capitals, digits or hyphens); plain words ("harder", "retains") carry
    no trend on their own, while phrases of them ("test-time compute") can.
    """
    found: set[str] = set()
    text = _URL.sub(" . ", text).replace("'s ", " ").replace("\u2019s ", " ")
    for chunk in _BREAK.split(text):
        originals = _TOKEN_ANY_CASE.findall(chunk)
        words = [w.lower() for w in originals]
        content = [w not in STOPWORDS for w in words]     # a phrase starts and ends on a content word
        digits = [w.isdigit() for w in words]
        for i, word in enumerate(words):
            if content[i] and not digits[i] and _name_like(originals[i]):
                found.add(word)
            if i + 1 < len(words) and content[i] and content[i + 1] and not (digits[i] and digits[i + 1]):
                found.add(f"{word} {words[i + 1]}")
            if i + 2 < len(words) and content[i] and content[i + 2] \
                    and not (digits[i] and digits[i + 1] and digits[i + 2]):
                found.add(f"{word} {words[i + 1]} {words[i + 2]}")
    return found - BOILERPLATE


def _name_like(word: str) -> bool:
    return len(word) >= 2 and (any(c.isdigit() or c == "-" for c in word) or any(c.isupper() for c in word[1:])
                               or (word.isupper() and len(word) >= 3))


def score_terms(counts: pl.DataFrame, totals: WindowTotals, *, min_count: int) -> list[TermScore]:
    """Rising phrases of the target window, strongest first (see the module docstring).

    `counts` has one row per phrase: term, count, baseline_count,
    history_count, weeks_present (weeks of the history it appears in).
    """
    background = BACKGROUND_WEEK_SHARE * totals.history_weeks if totals.history_weeks >= BACKGROUND_MIN_WEEKS \
        else float("inf")
    y_i, y_j = pl.col("count").cast(pl.Float64), pl.col("baseline_count").cast(pl.Float64)
    alpha = PRIOR_STRENGTH * (pl.col("history_count") + 1) / (totals.history + 1)
    scored = (counts.filter((pl.col("count") >= min_count) & (pl.col("weeks_present") < background))
              .with_columns(alpha.alias("alpha"))
              .with_columns(((_log_odds(y_i, totals.target) - _log_odds(y_j, totals.baseline))
                             / (1 / (y_i + pl.col("alpha")) + 1 / (y_j + pl.col("alpha"))).sqrt())
                            .alias("score"))
              .filter(pl.col("score") > 0)
              .with_columns(pl.col("score").round(4))
              .sort(["score", "term"], descending=[True, False]))
    return _prefer_phrases([TermScore(term, count, base, score, base == 0) for term, count, base, score in
                            scored.select("term", "count", "baseline_count", "score").iter_rows()])


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
                part = " ".join(words[i:i + n])
                inside[part] = max(inside.get(part, 0), term.count)
    return [t for t in scored if inside.get(t.term, 0) < PART_OF_PHRASE * t.count]


# (target weeks, baseline weeks, minimum target documents) per horizon: "week"
# is W against the 8 weeks before; "momentum" the 4 weeks ending W against the
# 12 before, which catches a surge that builds over a month.
HORIZONS = {"week": (1, 8, 3), "momentum": (4, 12, 5)}
