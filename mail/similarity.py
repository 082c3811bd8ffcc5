"""Which papers of a period are like a reader's seed papers: TF-IDF rows over key phrases, cosine similarity.

The rows are computed once per period (mail.period); each reader's seeds then
cost one sparse product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

MIN_SIMILARITY = 0.1  # cosine of TF-IDF phrase vectors; below it a paper is not "like" a seed
SIMILAR_PER_SEED = 3
MAX_SHARED = 0.5  # a phrase in more than this share of the period's papers is no evidence of likeness


def tfidf_rows(
    paper_ids: Sequence[str], term_ids: Mapping[str, Sequence[int]], seeds: Sequence[str]
) -> tuple[sp.csr_matrix, dict[str, sp.csr_matrix]]:
    """TF-IDF rows (binary phrases, IDF over the period's papers, L2-normalised) of the papers and the seeds."""
    ids = list(paper_ids)
    ids += [s for s in seeds if s in term_ids and s not in ids]  # a seed of the period is counted once
    columns: dict[int, int] = {}
    rows, cols = [], []
    for r, arxiv_id in enumerate(ids):
        for term in term_ids.get(arxiv_id, ()):
            rows.append(r)
            cols.append(columns.setdefault(term, len(columns)))
    binary = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(ids), len(columns) or 1))
    # Only phrases two papers share can make them alike; the rest (most of a paper's phrases) only
    # dilute its vector: keeping them, a paper's nearest neighbour scored 0.02, without them 0.37.
    # Phrases in over half the papers say nothing about any one.
    papers = len(paper_ids)
    held = np.asarray(binary.getnnz(axis=0))
    binary = binary[:, np.flatnonzero((held >= 2) & (held <= max(2, MAX_SHARED * papers)))]
    model = TfidfTransformer().fit(binary[:papers] if papers else binary)
    vectors = model.transform(binary).tocsr()  # rows come out L2-normalised
    row = {arxiv_id: r for r, arxiv_id in enumerate(ids)}
    return vectors[:papers], {s: vectors[row[s]] for s in seeds if s in row}


def similar(
    vectors: sp.csr_matrix | None, seed_vectors: Mapping[str, sp.csr_matrix], seeds: Sequence[str]
) -> list[tuple[str, int]]:
    """(seed, row of `vectors`) of the papers most like each seed, most alike first across all seeds; a seed
    that is itself a paper of the period comes back as its own nearest row (the caller skips it)."""
    if vectors is None or not seeds:
        return []
    found: list[tuple[float, str, int]] = []
    for seed in seeds:
        vector = seed_vectors.get(seed)
        if vector is None:
            continue
        scores = (vectors @ vector.T).toarray().ravel()
        for i in np.argsort(-scores, kind="stable")[: SIMILAR_PER_SEED + 1]:  # +1: the seed's own row
            if scores[i] >= MIN_SIMILARITY:
                found.append((float(scores[i]), seed, int(i)))
    found.sort(key=lambda f: -f[0])
    return [(seed, i) for _, seed, i in found]
