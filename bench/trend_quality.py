"""Trend quality on the real HF archive: the lists a reader sees, and automatic proxies of their quality.

Loads ../shared/fixtures (HF API captures) into a warehouse once, computes the
weekly report of every complete week from 2024-W30 to 2026-W17, and writes
`lists-<label>.json` (per week: the top 10 of each term list per horizon,
every rising topic with its label, terms and top papers) for blind judging.
Weeks are split into a tuning set (every third week from the first) and a
held-out set (every third from the second): rules are looked at on the first,
judged on the second. Prints, per set:

- keyword: share of listed terms matching an HF `ai_keywords` entry (normalised);
- numbers: share with a bare number, multiplier or unit as a word ("200k", "000 hours"; not "GPT-4o");
- overlap: share of terms that duplicate or contain another term of the same week;
- growth<=1: share of rising-topic rows with growth <= 1;
- off-topic papers: share of papers shown under a topic that carry none of its terms;
- first week each landmark term is named (DeepSeek-R1, GRPO, Qwen3, OpenClaw, on-policy distillation).

    python bench/trend_quality.py --out DIR [--label after] [--corpus ../shared/fixtures]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIRST, LAST = date.fromisocalendar(2024, 30, 1), date.fromisocalendar(2026, 17, 1)
LANDMARKS = {
    "DeepSeek-R1": ("2025-W05", "2025-W07", ("deepseek r1", "deepseek-r1")),
    "GRPO": (None, "2025-W11", ("grpo",)),
    "Qwen3": (None, "2025-W24", ("qwen3",)),
    "OpenClaw": (None, "2026-W15", ("openclaw",)),
    "on-policy distillation": (None, "2026-W16", ("on policy distillation",)),  # spelled out, not "OPD" alone
    "RLVR": (None, "2025-W23", ("rlvr",)),
}
TOP = 10
# A reference for one proxy only (how often a field-wide umbrella is shown), never used by the method.
UMBRELLAS = {"llm", "large language model", "lm", "language model", "gpt", "natural language", "foundation model"}
# A bare number, multiplier or unit as written ("200k", "9b", "2.26times", "000"); "GPT-4o", "3D" are names.
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*(?:k|m|b|t|x|times|ms|s|h|fps|gb|mb|tb|%)?$")


def key(term: str) -> str:
    """A term as compared: lower case, hyphens as spaces, sizes and a final plural 's' dropped.

    Its own copy of common.phrases.term_key (and _NUMBER of its number rule), on purpose:
    the bench also runs on the code before the change, which has neither.
    """
    words = [w for w in re.sub(r"[-_]", " ", term.lower()).split() if not re.match(r"^\d+(?:\.\d+)?[bmk]$", w)]
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith(("ss", "us", "is")):
        words[-1] = words[-1][:-1]
    return " ".join(words)


def spellings(term: str) -> list[str]:
    """The keys a shown term answers to: "OPD (on-policy distillation)" is both "opd" and "on policy distillation"."""
    short, _, long = term.partition(" (")
    return [key(short)] + ([key(long.rstrip(")"))] if long else [])


def weeks() -> list[date]:
    return [FIRST + timedelta(weeks=n) for n in range((LAST - FIRST).days // 7 + 1)]


def collect(con, monday: date) -> dict:
    from reports.trends import build_week_report

    report, _ = build_week_report(con, monday)
    lists: dict[str, list[str]] = {}
    for kind, items in (("rising", report.rising_terms), ("new", report.new_terms)):
        for item in items:
            lists.setdefault(f"{kind} {item.horizon}", [])
            if len(lists[f"{kind} {item.horizon}"]) < TOP:
                lists[f"{kind} {item.horizon}"].append(getattr(item, "name", item.term))
    stories = getattr(report, "stories", None)
    rows = stories if stories is not None else report.topics
    topics = [
        {
            "label": t.label,
            "terms": list(t.terms),
            "horizon": t.horizon,
            "growth": t.growth,
            "score": t.score,
            "papers": [p.arxiv_id for p in (t.examples if stories is not None else t.top_papers)],
        }
        for t in rows
    ]
    return {"week": report.week, "lists": lists, "topics": topics}


def proxies(entries: list[dict], keywords: set[str], texts: dict[str, str]) -> dict[str, float]:
    terms = [(e["week"], t) for e in entries for items in e["lists"].values() for t in items]
    digit_only = sum(1 for _, t in terms if any(_NUMBER.match(w.lower()) for w in t.split()))
    overlapping = 0
    for e in entries:
        keys = [key(t) for items in e["lists"].values() for t in items]
        for i, k in enumerate(keys):
            others = keys[:i] + keys[i + 1 :]
            overlapping += any(k == o or f" {k} " in f" {o} " or f" {o} " in f" {k} " for o in others)
    rows = [t for e in entries for t in e["topics"]]
    shown = [(t, p) for t in rows for p in t["papers"]]
    off = sum(
        1 for t, p in shown if not any(k in key(texts.get(p, "")) for term in t["terms"] for k in spellings(term))
    )
    n = max(len(terms), 1)
    umbrella = sum(1 for _, t in terms if set(spellings(t)) & UMBRELLAS)
    return {
        "terms": len(terms),
        "umbrellas": umbrella / n,
        "keyword": sum(1 for _, t in terms if any(k in keywords for k in spellings(t))) / n,
        "digits": digit_only / n,
        "overlap": overlapping / n,
        "topic rows": len(rows),
        "growth<=1": sum(1 for t in rows if t["growth"] <= 1) / max(len(rows), 1),
        "off-topic papers": off / max(len(shown), 1),
    }


def landmarks(entries: list[dict]) -> dict[str, str | None]:
    first: dict[str, str | None] = {}
    spellings_of = spellings
    for name, (_, _, wanted) in LANDMARKS.items():
        hit = next(
            (
                e["week"]
                for e in entries
                for items in [*e["lists"].values(), [s["label"] for s in e["topics"]]]
                for t in items
                if set(spellings_of(t)) & set(wanted)
            ),
            None,
        )
        first[name] = hit
    return first


def slow_builders(entries: list[dict]) -> list[tuple[str, str, str]]:
    """(term, first week named by the quarter horizon, first week named by the week or 4-week horizon)."""
    first: dict[str, dict[str, str]] = {}
    for e in entries:
        for name, items in e["lists"].items():
            span = "quarter" if name.endswith("quarter") else "short"
            for t in items:
                first.setdefault(spellings(t)[0], {}).setdefault(span, e["week"])
    return sorted(
        (term, seen["quarter"], seen["short"])
        for term, seen in first.items()
        if "quarter" in seen and "short" in seen and seen["quarter"] < seen["short"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", default="after")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "fixtures")
    parser.add_argument("--warehouse", type=Path, help="an HF-archive warehouse to read (default: load one)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from tests.factories import load_corpus
    from warehouse.db import connect

    path = args.warehouse or args.out / f"warehouse-{args.label}.duckdb"
    began = time.perf_counter()
    if not path.exists():
        load_corpus(args.corpus, path)
    print(f"warehouse {path} ready in {time.perf_counter() - began:.0f} s", flush=True)
    with connect(path, read_only=True) as con:
        keywords = {key(k) for (k,) in con.execute("SELECT DISTINCT unnest(ai_keywords) FROM papers").fetchall()}
        texts = {
            i: f"{t} {a or ''}" for i, t, a in con.execute("SELECT arxiv_id, title, abstract FROM papers").fetchall()
        }
        began = time.perf_counter()
        entries = [collect(con, monday) for monday in weeks()]
    print(f"{len(entries)} weekly reports in {time.perf_counter() - began:.0f} s")
    sets = {"tuning": entries[0::3], "held-out": entries[1::3], "all": entries}
    (args.out / f"lists-{args.label}.json").write_text(json.dumps(sets, indent=1, ensure_ascii=False))
    print(f"\n{args.label}: {'set':<9} " + " ".join(f"{k:>16}" for k in proxies(entries, keywords, texts)))
    for name, chosen in sets.items():
        figures = proxies(chosen, keywords, texts)
        cells = [f"{v:>16.1%}" if isinstance(v, float) else f"{v:>16}" for v in figures.values()]
        print(f"{args.label}: {name:<9} " + " ".join(cells))
    print()
    beside = [
        e["week"]
        for e in entries
        if any("rlvr" in spellings(t) for items in e["lists"].values() for t in items)
        and any(key(t) == "verifiable reward" for items in e["lists"].values() for t in items)
    ]
    print(f"{args.label}: weeks listing RLVR beside 'verifiable rewards': {beside or 'none'}")
    builders = slow_builders(entries)
    print(f"{args.label}: {len(builders)} terms named by the quarter horizon before a shorter one: {builders[:6]}")
    for name, week in landmarks(entries).items():
        earliest, by, _ = LANDMARKS[name]
        ok = week is not None and week <= by and (earliest is None or week >= earliest)
        print(
            f"{args.label}: {name:<24} first named {week or 'never':<9} (wanted {earliest or '...'}..{by}) {'ok' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
