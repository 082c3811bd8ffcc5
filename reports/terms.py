"""Rising and new key phrases of a week: document frequencies against a trailing baseline.

Scoring is the log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008): the prior comes from the whole history, so a phrase
needs more evidence the rarer it is, and small weekly counts (HF lists 30-200
papers a week) do not crown a phrase for going from 1 to 3. Boilerplate is
removed twice: by stop lists, and by a background model (phrases that appear
in most weeks of the history are not news).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

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
""".split())
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
""".replace("\n", "").split("|"))
PRIOR_STRENGTH = 500.0     # a0 of the Dirichlet prior, in documents
BACKGROUND_WEEK_SHARE = 0.35 # a phrase present in this share of all weeks is background
PART_OF_PHRASE = 0.6       # drop a term when a longer phrase holds this share of its count


@dataclass(frozen=True)
class TermScore:
    """A phrase's evidence in the target window against the baseline."""

    term: str
    count: int             # target documents containing it
    baseline_count: int    # baseline documents containing it
    score: float           # z-score of the log-odds ratio (informative Dirichlet prior)
    new: bool              # absent from the baseline


def phrases(text: str, max_n: int = 3) -> set[str]:
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
        for n in range(1, max_n + 1):
            for i in range(len(words) - n + 1):
                gram = words[i:i + n]
                if gram[0] in STOPWORDS or gram[-1] in STOPWORDS or all(w.isdigit() for w in gram):
                    continue
                if n == 1 and not _name_like(originals[i]):
                    continue
                found.add(" ".join(gram))
    return {p for p in found if p not in BOILERPLATE}


def _name_like(word: str) -> bool:
    return len(word) >= 2 and (any(c.isdigit() or c == "-" for c in word) or any(c.isupper() for c in word[1:])
                               or (word.isupper() and len(word) >= 3))


def document_frequencies(texts: Iterable[str]) -> Counter[str]:
    """In how many texts each phrase occurs."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(phrases(text))
    return counts


def background_terms(weekly: list[Counter[str]], min_weeks: int = 8) -> set[str]:
    """Phrases present in most weeks of the history: always there, so never news."""
    if len(weekly) < min_weeks:
        return set()
    present: Counter[str] = Counter()
    for week in weekly:
        present.update(week.keys())
    return {term for term, weeks in present.items() if weeks >= BACKGROUND_WEEK_SHARE * len(weekly)}


def score_terms(target: Counter[str], n_target: int, baseline: Counter[str], n_baseline: int,
                history: Counter[str], n_history: int, *, background: set[str], min_count: int) -> list[TermScore]:
    """Rising phrases of the target window, strongest first (see the module docstring)."""
    scored = []
    for term, y_i in target.items():
        if y_i < min_count or term in background:
            continue
        y_j = baseline.get(term, 0)
        alpha = PRIOR_STRENGTH * (history.get(term, 0) + 1) / (n_history + 1)
        delta = (_log_odds(y_i, n_target, alpha) - _log_odds(y_j, n_baseline, alpha))
        score = delta / math.sqrt(1 / (y_i + alpha) + 1 / (y_j + alpha))
        if score > 0:
            scored.append(TermScore(term, y_i, y_j, round(score, 4), y_j == 0))
    return _prefer_phrases(sorted(scored, key=lambda t: (-t.score, t.term)))


def _log_odds(count: int, total: int, alpha: float) -> float:
    return math.log((count + alpha) / max(total + PRIOR_STRENGTH - count - alpha, 1e-9))


def _prefer_phrases(scored: list[TermScore]) -> list[TermScore]:
    # "test-time compute", not "test-time" and "compute": drop a term that is
    # mostly seen inside a longer rising phrase.
    kept = []
    for term in scored:
        longer = [t for t in scored if len(t.term) > len(term.term) and f" {term.term} " in f" {t.term} "]
        if any(t.count >= PART_OF_PHRASE * term.count for t in longer):
            continue
        kept.append(term)
    return kept


# (target weeks, baseline weeks, minimum target documents) per horizon: "week"
# is W against the 8 weeks before; "momentum" the 4 weeks ending W against the
# 12 before, which catches a surge that builds over a month.
HORIZONS = {"week": (1, 8, 3), "momentum": (4, 12, 5)}


@dataclass
class WeeklyTerms:
    """Phrase document frequencies per ISO week (weeks start on Monday), computed once."""

    weeks: dict[date, tuple[Counter[str], int]] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, docs: pl.DataFrame) -> "WeeklyTerms":
        """`docs` has one row per paper: first_digest_date, title, abstract."""
        weekly = cls()
        frame = docs.with_columns(pl.col("first_digest_date").dt.truncate("1w").alias("week"))
        for (week,), group in frame.group_by("week", maintain_order=True):
            texts = (group["title"] + ". " + group["abstract"].fill_null("")).to_list()
            weekly.weeks[week] = (document_frequencies(texts), group.height)
        return weekly

    def rising(self, week: date, horizon: str = "week") -> list[TermScore]:
        """Rising phrases of `week` (a Monday) at a horizon; history is only what precedes it."""
        target_weeks, baseline_weeks, min_count = HORIZONS[horizon]
        target = self._window(week, target_weeks)
        baseline = self._window(week - timedelta(weeks=target_weeks), baseline_weeks)
        past = [counts for start, (counts, _) in self.weeks.items() if start < week]
        history, n_history = self._sum([w for w in self.weeks if w < week])
        return score_terms(target[0], target[1], baseline[0], baseline[1], history, n_history,
                           background=background_terms(past), min_count=min_count)

    def _window(self, last_week: date, weeks: int) -> tuple[Counter[str], int]:
        return self._sum([last_week - timedelta(weeks=n) for n in range(weeks)])

    def _sum(self, weeks: list[date]) -> tuple[Counter[str], int]:
        total, docs = Counter(), 0
        for week in weeks:
            counts, n = self.weeks.get(week, (Counter(), 0))
            total.update(counts)
            docs += n
        return total, docs
