"""Topics of a report window: TF-IDF over key phrases, factorised with NMF, labelled by their phrases.

Fitted once over the whole window, so a topic is the same topic in every week
of it; deterministic given the documents and the seed (documents are sorted
by id, vocabulary columns by phrase). Phrases come from the stored phrase
index (warehouse.phrase_index), not from the text: a window of 80,000 arXiv
papers then costs a second or two instead of a minute.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.decomposition import NMF, MiniBatchNMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer

from common.phrases import same_idea, term_key

OTHER = -1  # the topic of papers no topic explains
MIN_WEIGHT = 0.02  # below this (relative to the paper's best topic weight) a paper is "other"
LABEL_TERMS = 3
LABEL_MIN_WEIGHT = 0.15  # of the topic's heaviest term's weight
MIN_DOCS, MAX_DOC_SHARE = 3, 0.25  # a phrase in fewer papers is noise, in more is not a topic
MAX_VOCABULARY = 10_000  # the most frequent phrases; rarer ones barely move a topic
# At arXiv scale a phrase in fewer than 1 in 4,800 papers (17 of an 81,600-paper window) barely
# moves a topic either. Over a 16-week window such a phrase has a week with 2 papers, so the
# vocabulary query's one-pass shortcut is exact (phrase_index.window_vocabulary): 1.85 -> 0.2 s.
MIN_DOC_SHARE = 1 / 4_800
# A label phrase is held by at least this many times more of the topic's papers than of all papers.
MIN_LIFT = 3.0
FULL_BATCH_UP_TO = 20_000  # papers; above this, mini-batch NMF (one pass costs what 5 full iterations do)


@dataclass(frozen=True)
class DocTerms:
    """Papers and the ids of their phrases, in CSR layout: paper i holds term_ids[offsets[i]:offsets[i+1]]."""

    ids: list[str]  # in any order: fitting sorts them
    offsets: np.ndarray
    term_ids: np.ndarray
    weights: np.ndarray | None = None  # per paper: how much it counts in the fit (1 by default)


@dataclass(frozen=True)
class Topic:
    """A topic: its id, human-readable label and top terms."""

    topic_id: int
    label: str
    terms: tuple[str, ...]


@dataclass
class TopicModel:
    """Topics of a window and each paper's topic (OTHER when none fits)."""

    topics: list[Topic]
    assignments: pl.DataFrame  # arxiv_id, topic_id, carries_terms (holds one of the topic's terms)


def topic_count(documents: int) -> int:
    """More topics for more papers, within reason (HF weeks: ~10; arXiv-sized windows: 30)."""
    return int(min(30, max(4, round((documents / 12) ** 0.5))))


def vocabulary_limits(documents: int) -> tuple[int, int, int]:
    """(min docs, max docs, max phrases) a phrase needs to be a topic feature of a window of `documents`."""
    return max(MIN_DOCS, math.ceil(MIN_DOC_SHARE * documents)), int(MAX_DOC_SHARE * documents), MAX_VOCABULARY


def fit_topics(docs: DocTerms, vocabulary: dict[int, str], *, seed: int = 7, topics: int | None = None) -> TopicModel:
    """Fit topics over `docs` with `vocabulary` (term id -> phrase) as features; no topics on tiny inputs."""
    n, order = len(docs.ids), sorted(range(len(docs.ids)), key=docs.ids.__getitem__)
    ids = [docs.ids[i] for i in order]
    if n < 20 or len(vocabulary) < 2:
        return TopicModel(
            [],
            pl.DataFrame(
                {"arxiv_id": ids, "topic_id": [OTHER] * n, "carries_terms": [False] * n},
                schema={"arxiv_id": pl.String, "topic_id": pl.Int32, "carries_terms": pl.Boolean},
            ),
        )
    names = np.array(sorted(vocabulary.values()), dtype=object)
    binary, names = _one_column_per_term(_counts(docs, np.array(order), vocabulary, names), names)
    matrix = TfidfTransformer(sublinear_tf=True).fit_transform(binary)
    scale = np.ones(n) if docs.weights is None else np.asarray(docs.weights, dtype=np.float64)[order]
    matrix = sp.diags(scale.astype(np.float32)) @ matrix
    k = min(topics or topic_count(n), len(names) - 1, n - 1)
    if n <= FULL_BATCH_UP_TO:
        model = NMF(n_components=k, init="nndsvd", random_state=seed, max_iter=300)
    else:
        model = MiniBatchNMF(n_components=k, init="nndsvd", random_state=seed, batch_size=2048, max_iter=10)
    with warnings.catch_warnings():
        # Stopping at max_iter short of the tolerance is common on small weeks; the
        # result is still deterministic and its topics are used as they are.
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix) / scale[:, None]  # a paper's own weights, whatever it counted for
    best = weights.argmax(axis=1)
    strong = weights.max(axis=1) >= MIN_WEIGHT * max(float(weights.max()), 1e-9)
    assigned = np.where(strong, best, OTHER)
    # A label names what sets a topic's papers apart: a phrase as common outside the topic as
    # in it ("qualitative evaluations", "training data") describes every topic, so none.
    everywhere = np.asarray(binary.getnnz(axis=0), dtype=np.float64) / n
    found = []
    for i in range(k):
        rows = np.flatnonzero(assigned == i)
        inside = np.asarray(binary[rows].getnnz(axis=0), dtype=np.float64) / max(rows.size, 1)
        distinct = inside >= MIN_LIFT * everywhere
        found.append(Topic(i, *_label(model.components_[i] * distinct, names)))
    # Whether a paper holds one of its topic's terms: only those are shown as the topic's papers.
    column = {name: c for c, name in enumerate(names)}
    term_columns = [np.array([column[t] for t in topic.terms], dtype=np.int64) for topic in found]
    carries = np.zeros(n, dtype=bool)
    for topic_id, columns in enumerate(term_columns):
        rows = np.flatnonzero(assigned == topic_id)
        carries[rows] = binary[rows][:, columns].getnnz(axis=1) > 0
    return TopicModel(
        found, pl.DataFrame({"arxiv_id": ids, "topic_id": assigned.astype(np.int32), "carries_terms": carries})
    )


def _counts(docs: DocTerms, order: np.ndarray, vocabulary: dict[int, str], names: np.ndarray) -> sp.csr_matrix:
    # Binary paper x phrase matrix over the vocabulary: rows in id order, columns
    # in phrase order (as TfidfVectorizer orders them), so nothing depends on
    # storage order or term ids.
    term_ids = np.array(sorted(vocabulary), dtype=np.int64)
    column_of = np.searchsorted(names, np.array([vocabulary[i] for i in term_ids], dtype=object))
    position = np.searchsorted(term_ids, docs.term_ids).clip(max=len(term_ids) - 1)
    known = term_ids[position] == docs.term_ids
    row_of = np.empty(len(order), dtype=np.int64)
    row_of[order] = np.arange(len(order))
    rows = np.repeat(row_of, np.diff(docs.offsets))[known]
    return sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (rows, column_of[position[known]])), shape=(len(order), len(names))
    )


def _one_column_per_term(binary: sp.csr_matrix, names: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    # Spellings of one term ("VLM", "VLMs") are one feature: split, each took half a topic's weight
    # and both reached its label. A column per term_key, named by its spelling in most papers.
    keys = [term_key(name) for name in names]
    distinct = sorted(set(keys))
    if len(distinct) == len(names):
        return binary, names
    column_of = {key: c for c, key in enumerate(distinct)}
    merge = sp.csr_matrix(
        (np.ones(len(names), dtype=np.float32), (np.arange(len(names)), [column_of[k] for k in keys])),
        shape=(len(names), len(distinct)),
    )
    merged = (binary @ merge).tocsr()
    merged.data[:] = 1.0
    papers = np.asarray(binary.getnnz(axis=0))
    display: dict[str, tuple[int, str]] = {}
    for name, key, held in zip(names, keys, papers, strict=True):
        if key not in display or held > display[key][0]:  # names are sorted: ties keep the first
            display[key] = (int(held), name)
    return merged, np.array([display[key][1] for key in distinct], dtype=object)


def _label(component: np.ndarray, vocabulary: np.ndarray) -> tuple[str, tuple[str, ...]]:
    # The topic's heaviest terms, in weight order; a term gives way to a phrase holding it that
    # weighs at least half as much ("test-time compute" for "compute"); one idea once; a term
    # far lighter than the first describes the topic's fringe, not the topic.
    ranked = [i for i in np.argsort(-component, kind="stable")[:16] if component[i] > 0]
    chosen: list[str] = []
    for i in ranked:
        if component[i] < LABEL_MIN_WEIGHT * component[ranked[0]] or len(chosen) == LABEL_TERMS:
            break
        term = vocabulary[i]
        longer = [
            vocabulary[j]
            for j in ranked
            if component[j] >= component[i] / 2
            and len(term_key(vocabulary[j])) > len(term_key(term))
            and same_idea(vocabulary[j], term)
        ]
        term = longer[0] if longer else term
        if not any(same_idea(term, other) for other in chosen):
            chosen.append(term)
    return " / ".join(chosen), tuple(vocabulary[i] for i in ranked[:8])
