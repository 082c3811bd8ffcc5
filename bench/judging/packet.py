"""Blind judging of trend lists (issue 18): build the judge's packet, then score the judge's verdicts.

    python bench/judging/packet.py build LISTS_A.json LISTS_B.json --out DIR
        writes DIR/packet.json (per judged week, two anonymous versions in a seeded random order: the
        terms shown and the story names or topic labels) and DIR/key.json (which version is which;
        never shown to the judge)
    python bench/judging/packet.py score DIR
        reads DIR/verdicts.json (the judge's) and DIR/key.json; prints the figures per version

The lists files are bench/trend_quality.py's output; the weeks are bench/judging/weeks.json's
"judged" set, drawn with a committed seed before tuning. The rubric the judge gets is the issue's,
verbatim, in RUBRIC below.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

WEEKS = Path(__file__).resolve().parent / "weeks.json"
SEED = 1818
RUBRIC = """\
Terms: classify every term of a version as R, T, N or D.
- R, a research term: names a concept, method, model, dataset, benchmark, task or sub-area a researcher
  would recognise ("GRPO", "world models", "speculative decoding", "Qwen3", "SWE-bench verified", "VLA").
- T, truncated: a research term cut short, still recognisable ("aligning large language").
- N, not a term: field-wide umbrellas that say nothing about a trend ("LLM", "LLMs", "LM", "GPT",
  "natural language", "foundation models", "frontier models"); generic descriptors ("computational costs",
  "model weights", "inference time", "benchmark datasets", "text prompts", "human annotations", "failure
  modes", "model families", "visual fidelity", "3D"); names that are not research ("OpenAI", "GPU memory",
  "API", "RGB", "PDFs", "H200"); acronyms a reader cannot expand from the page ("RM", "AR", "RF", "DRA",
  "NL", "WM").
- D, a duplicate: a second term for an idea already shown the same week in the same version (plural or
  spelling: "agent harness" / "agent harnesses"; acronym inside a phrase: "DM" / "video diffusion models";
  near-synonyms: "test-time scaling" / "test-time compute", "VLM" / "MLLM"). Mark the later one D.
A term written "ACRONYM (long form)" is one term: judge it as a reader who sees the long form.
Names (story names or topic labels): classify each as clear (a researcher knows what rose), generic
(it carries a generic or junk part, e.g. "success rate" in a VLA label), junk (says nothing, or is not
research), or truncated."""


def build(lists: list[Path], out: Path, round_name: str = "judged") -> None:
    weeks = json.loads(WEEKS.read_text())[round_name]
    versions = [
        {e["week"]: e for e in json.loads(path.read_text())["all"]} for path in lists
    ]  # index 0 and 1: the two lists files
    rng = random.Random(SEED)
    packet, key = {}, {}
    for week in weeks:
        order = [0, 1]
        rng.shuffle(order)
        key[week] = {"A": lists[order[0]].name, "B": lists[order[1]].name}
        packet[week] = {letter: _items(versions[i][week]) for letter, i in zip("AB", order, strict=True)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "packet.json").write_text(json.dumps({"rubric": RUBRIC, "weeks": packet}, indent=1, ensure_ascii=False))
    (out / "key.json").write_text(json.dumps(key, indent=1))
    terms = sum(len(v["terms"]) for w in packet.values() for v in w.values())
    names = sum(len(v["names"]) for w in packet.values() for v in w.values())
    print(f"{len(packet)} weeks, {terms} terms and {names} names to judge in {out / 'packet.json'}")


def _items(entry: dict) -> dict[str, list[str]]:
    terms = list(dict.fromkeys(t for items in entry["lists"].values() for t in items))
    return {"terms": terms, "names": list(dict.fromkeys(t["label"] for t in entry["topics"]))}


def score(out: Path) -> None:
    verdicts = json.loads((out / "verdicts.json").read_text())
    key = json.loads((out / "key.json").read_text())
    terms: dict[str, Counter[str]] = {}
    names: dict[str, Counter[str]] = {}
    for week, letters in key.items():
        for letter, version in letters.items():
            judged = verdicts[week][letter]
            terms.setdefault(version, Counter()).update(str(v).upper()[:1] for v in judged["terms"].values())
            names.setdefault(version, Counter()).update(str(v).lower() for v in judged["names"].values())
    for version in sorted(terms):
        t, n = terms[version], names[version]
        total, labels = max(sum(t.values()), 1), max(sum(n.values()), 1)
        shares = " ".join(f"{c} {t[c] / total:6.1%}" for c in "RTND")
        print(
            f"{version:<24} terms {sum(t.values()):4}  {shares}   names {sum(n.values()):3}  "
            f"clear {n['clear'] / labels:6.1%}  generic {n['generic'] / labels:6.1%}  junk {n['junk'] / labels:6.1%}"
            f"  truncated {n['truncated'] / labels:6.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    made = sub.add_parser("build")
    made.add_argument("lists", type=Path, nargs=2)
    made.add_argument("--out", type=Path, required=True)
    made.add_argument("--weeks", default="judged", help="the set of bench/judging/weeks.json: judged | round2")
    scored = sub.add_parser("score")
    scored.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        build(args.lists, args.out, args.weeks)
    else:
        score(args.out)


if __name__ == "__main__":
    main()
