"""The arXiv side of a synthetic corpus: daily listing crawls consistent with its HF days.

Each weekday's `arxiv-listing-jsonl/YYYY-MM-DD.jsonl.gz` holds, in the layout of
the real captures: about 60% of that day's fresh HF papers (same id, title,
authors and abstract), arXiv-only papers (twice as many), cross-listed
secondary categories, and a few replacements of papers listed two or more
months earlier. Categories follow the paper's topic. Deterministic per seed.
"""

from __future__ import annotations

import gzip
import json
import random
from datetime import date
from pathlib import Path

from common.sources import ARXIV_LISTING_FOLDER
from digest_replay.synthetic.papers import BACKGROUND_TOPICS, GZIP_LEVEL, paper_entry, submitter

FOLDER = ARXIV_LISTING_FOLDER
SHARED_RATE = 0.6  # share of a day's HF papers that arXiv lists that day
ARXIV_ONLY_FACTOR = 2  # arXiv-only papers per HF paper listed
CROSS_RATE = 0.3  # papers with a secondary category among those followed
REPLACEMENT_RATE = 0.05
ARXIV_ONLY_FIRST_NUMBER = 80_000  # per month; HF ids draw from lower numbers, so no collisions
CATEGORY_BY_WORD = {
    "vision": "cs.CV",
    "image": "cs.CV",
    "video": "cs.CV",
    "3d": "cs.CV",
    "splatting": "cs.CV",
    "language": "cs.CL",
    "speech": "cs.CL",
    "retrieval": "cs.CL",
    "code": "cs.CL",
    "robot": "cs.RO",
    "agent": "cs.AI",
    "memory": "cs.AI",
    "reasoning": "cs.AI",
}
FOLLOWED = ("cs.LG", "cs.CL", "cs.CV", "cs.AI")


def write_arxiv_days(root: Path, digests: dict[date, list[dict]], seed: int) -> set[str]:
    """Write one listing crawl per HF day; return the distinct arXiv ids written."""
    rng, folder = random.Random(seed * 7919 + 1), Path(root) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    listed: list[tuple[date, dict]] = []
    seen: set[str] = set()
    counters: dict[str, int] = {}
    for day, entries in sorted(digests.items()):
        fresh = [e for e in entries if e["paper"]["id"] not in seen]
        seen |= {e["paper"]["id"] for e in entries}
        rows = [_row(rng, e["paper"]) for e in fresh if rng.random() < SHARED_RATE]
        for _ in range(ARXIV_ONLY_FACTOR * len(rows)):
            number = counters.setdefault(f"{day:%y%m}", ARXIV_ONLY_FIRST_NUMBER)
            counters[f"{day:%y%m}"] = number + 1
            rows.append(_arxiv_only(rng, day, number))
        rows += _replacements(rng, day, listed)
        listed += [(day, row) for row in rows]
        body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
        (folder / f"{day.isoformat()}.jsonl.gz").write_bytes(gzip.compress(body, GZIP_LEVEL, mtime=0))
    return {row["id"] for _, row in listed}


def _row(rng: random.Random, paper: dict) -> dict:
    return {
        "id": paper["id"],
        "categories": _categories(rng, paper["title"]),
        "pdf": f"https://arxiv.org/pdf/{paper['id']}",
        "abs": f"https://arxiv.org/abs/{paper['id']}",
        "authors": [a["name"] for a in paper["authors"]],
        "title": paper["title"],
        "comment": rng.choice([None, None, "Preprint", "Accepted at a conference; 12 pages"]),
        "summary": paper["summary"],
    }


def _categories(rng: random.Random, title: str) -> list[str]:
    words = title.lower()
    primary = next((c for w, c in CATEGORY_BY_WORD.items() if w in words), "cs.LG")
    if rng.random() < CROSS_RATE:
        return [primary, rng.choice([c for c in FOLLOWED if c != primary])]
    return [primary]


def _arxiv_only(rng: random.Random, day: date, number: int) -> dict:
    # Written like the HF papers (same generator, background topics only), so
    # arXiv-only volume adds topic noise, not template noise.
    terms = BACKGROUND_TOPICS[rng.choice(sorted(BACKGROUND_TOPICS))]
    entry = paper_entry(rng, day, terms, f"{day:%y%m}.{number:05d}", submitter(rng, "arxiv"))
    return _row(rng, entry["paper"])


def _replacements(rng: random.Random, day: date, listed: list[tuple[date, dict]]) -> list[dict]:
    old = [row for when, row in listed if (day.year - when.year) * 12 + day.month - when.month >= 2]
    count = round(REPLACEMENT_RATE * len(old) / 20) if old else 0
    return [dict(row) for row in rng.sample(old, min(count, len(old)))]
