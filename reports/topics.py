"""Topics of a report window: TF-IDF over key phrases, factorised with NMF, labelled by their phrases.

Fitted once over the whole window, so a topic is the same topic in every week
of it; deterministic given the documents and the seed (documents are sorted
by id before fitting).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from reports.terms import phrases

OTHER = -1                 # the topic of papers no topic explains
MIN_WEIGHT = 0.02          # below this (relative to the paper's best topic weight) a paper is "other"
LABEL_TERMS = 3


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
    assignments: pl.DataFrame          # arxiv_id, topic_id


def topic_count(documents: int) -> int:
    """More topics for more papers, within reason (HF weeks: ~10; arXiv-sized windows: 30)."""
    return int(min(30, max(4, round((documents / 12) ** 0.5))))


def fit_topics(docs: pl.DataFrame, *, seed: int = 7, topics: int | None = None) -> TopicModel:
    """Fit topics over `docs` (arxiv_id, title, abstract); raises nothing on tiny inputs (no topics then)."""
    docs = docs.sort("arxiv_id")
    texts = (docs["title"] + ". " + docs["abstract"].fill_null("")).to_list()
    if len(texts) < 20:
        return TopicModel([], docs.select("arxiv_id").with_columns(pl.lit(OTHER).alias("topic_id")))
    vectorizer = TfidfVectorizer(analyzer=lambda text: sorted(phrases(text)), min_df=3, max_df=0.25,
                                 sublinear_tf=True, dtype=np.float32)
    matrix = vectorizer.fit_transform(texts)
    k = min(topics or topic_count(len(texts)), matrix.shape[1] - 1, len(texts) - 1)
    model = NMF(n_components=k, init="nndsvd", random_state=seed, max_iter=300)
    weights = model.fit_transform(matrix)
    vocabulary = vectorizer.get_feature_names_out()
    found = [Topic(n, *_label(model.components_[n], vocabulary)) for n in range(k)]
    best = weights.argmax(axis=1)
    strong = weights.max(axis=1) >= MIN_WEIGHT * max(float(weights.max()), 1e-9)
    assigned = np.where(strong, best, OTHER)
    return TopicModel(found, pl.DataFrame({"arxiv_id": docs["arxiv_id"], "topic_id": assigned.astype(np.int32)}))


def _label(component: np.ndarray, vocabulary: np.ndarray) -> tuple[str, tuple[str, ...]]:
    # Phrases first: "test-time compute" says more than "compute"; skip a term
    # already inside a chosen phrase.
    top = [vocabulary[i] for i in np.argsort(-component, kind="stable")[:12]]
    ordered = sorted(top[:5], key=lambda t: (-len(t.split()), top.index(t))) + top[5:]
    chosen: list[str] = []
    for term in ordered:
        if not any(term in other or other in term for other in chosen):
            chosen.append(term)
        if len(chosen) == LABEL_TERMS:
            break
    return " / ".join(chosen), tuple(top[:8])
