"""Which candidate phrases are research terms a reader can name: evidence the warehouse gives, never a stop list.

Three kinds of evidence, strongest first:

- **Keyphraseness** (Mihalcea & Csomai 2007, "Wikify!"): of the papers whose
  text holds a phrase, the share whose HF `ai_keywords` name it. HF attaches
  keywords to every daily paper since 2025-03; a research term ("GRPO",
  "world models", "speculative decoding": 0.5-0.9) is named a keyword by
  most papers that write it, a generic descriptor or a name that is not
  research ("success rate", "model weights", "3D", "GPU", "OpenAI":
  0-0.05) almost never is. It decides when it is clear: a share of at least
  MIN_KEYPHRASENESS keeps a phrase, one whose upper 95% bound stays below it
  drops it; in between, only a name passes (a new name in 1 of 9 papers'
  keywords is not clear yet; a descriptor in 6 of 31 is not a term).
- **Defined acronyms**: an all-caps acronym is shown only when some paper in
  the warehouse defines it ("on-policy distillation (OPD)"), then always with
  its long form; an acronym nobody defines ("RM", "WM") cannot be expanded by
  a reader and is left out. An acronym's keyphraseness counts its long form.
- **Otherwise** (weeks before HF had keywords, sources without them): a name
  ("GRPO", "Qwen2.5-VL") or a phrase with a word rare in general English
  (wordfreq Zipf below COMMON_ZIPF) is kept.

Field-wide umbrellas ("LLM", "large language models") are research-ish by
these tests; terms.py asks them to at least double (UMBRELLA_SHARE).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from common.phrases import is_name_like, same_idea, term_key

MIN_KEYPHRASENESS = 0.3  # of keyworded papers holding a phrase, the share naming it a keyword
MIN_EVIDENCE = 4  # keyworded papers holding a phrase before its keyphraseness decides
COMMON_ZIPF = 4.0  # words at least this frequent in general English (e.g. "gains" 4.3) carry no term alone
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*s?$")  # "OPD", "VLAs", "RLVR", "MLLM"; not "3D", "GPT-4o"


@dataclass(frozen=True)
class Lexicon:
    """What the warehouse says about phrases: keyphraseness counts and acronyms' long forms, by term key."""

    keyphrase: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (papers holding it, naming it)
    long_forms: dict[str, str] = field(default_factory=dict)  # acronym key -> long form as papers write it
    aliases: dict[str, str] = field(default_factory=dict)  # long-form key -> acronym (merged counts)

    def key(self, term: str) -> str:
        """The key a term is counted under: its own, or its acronym's when papers define one for it."""
        key = term_key(term)
        return term_key(self.aliases[key]) if key in self.aliases else key

    def long_form(self, term: str) -> str | None:
        """An acronym's long form ("on-policy distillation" for "OPD"); None for any other term."""
        return self.long_forms.get(term_key(term)) if is_acronym(term) else None

    def forms(self, term: str) -> list[str]:
        """The ways a term is written: itself, an acronym's long form, its acronyms spelled out
        ("diffusion LLMs" is also "diffusion large language models")."""
        found = [term]
        long_form = self.long_form(term)
        if long_form:
            found.append(long_form)
        words = term.split()
        if len(words) > 1 and any(self.long_form(w) for w in words):
            found.append(" ".join(self.long_form(w) or w for w in words))
        return found

    def same_idea(self, a: str, b: str) -> bool:
        """Do two terms name one idea in any of their forms ("RLVR" and "verifiable rewards", "CoT" and
        "chain-of-thought reasoning", "DM" and "video diffusion models", "test-time scaling" and
        "test-time compute")?"""
        return any(same_idea(x, y) or _share_a_phrase(x, y) for x in self.forms(a) for y in self.forms(b))

    def keyphraseness(self, term: str) -> float | None:
        """The share of keyworded papers holding `term` that name it a keyword; None without enough evidence."""
        held, named = self.keyphrase.get(self.key(term), (0, 0))
        return named / held if held >= MIN_EVIDENCE else None

    def verdict(self, term: str) -> bool | None:
        """What keyphraseness says: True (a keyword often enough), False (clearly seldom), None (unclear).

        Clearly seldom means even the upper 95% bound of the share (Wilson) stays below MIN_KEYPHRASENESS:
        1 of 59 papers ("OpenAI") is clear, 1 of 9 (a name three weeks old) is not.
        """
        held, named = self.keyphrase.get(self.key(term), (0, 0))
        if held < MIN_EVIDENCE:
            return None
        if named / held >= MIN_KEYPHRASENESS:
            return True
        return False if _wilson_upper(named, held) < MIN_KEYPHRASENESS else None

    def is_research_term(self, term: str) -> bool:
        """Weigh the evidence that `term` is a research term a reader can name (see the module docstring)."""
        if is_acronym(term) and term_key(term) not in self.long_forms:
            return False
        words = term.split()
        # A name's signal counts unless the name itself is clearly no keyword ("GPU" in "GPU memory").
        name = any(is_name_like(w) and self.verdict(w) is not False for w in words)
        verdict = self.verdict(term)
        if verdict is None and len(words) > 1 and is_name_like(words[-1]):
            verdict = self.verdict(words[-1])  # "H100 GPUs" is as much a research term as "GPUs"
        if verdict is not None:
            return verdict
        if self.keyphraseness(term) is not None:  # some evidence, not clear either way: a new name may pass
            return name
        return name or (len(words) > 1 and any(_rare_in_english(w) for w in words))


def _share_a_phrase(a: str, b: str) -> bool:
    """Do two phrases share two or more words in a row, other than a head both end on? "test-time scaling"
    and "test-time compute", "long chain-of-thought" and "chain-of-thought reasoning" do; "vision
    language models" and "diffusion language models" share only their head, a kind, not an idea."""
    x, y = term_key(a).split(), term_key(b).split()
    for n in range(min(len(x), len(y)), 1, -1):
        for i in range(len(x) - n + 1):
            part = x[i : i + n]
            for j in range(len(y) - n + 1):
                if y[j : j + n] == part and not (i + n == len(x) and j + n == len(y)):
                    return True
    return False


def is_acronym(term: str) -> bool:
    """An abbreviation a reader must expand: all caps ("OPD", "VLAs") or short with two capitals ("CoT",
    "LoRA"); not a name with digits ("3D", "H200") nor a longer name ("OpenClaw", "LLaMA")."""
    if any(c.isdigit() for c in term) or not term.isalpha():
        return False
    stem = term[:-1] if term.endswith("s") and len(term) > 2 else term
    return bool(_ACRONYM.match(term)) or (len(stem) <= 4 and sum(c.isupper() for c in stem) >= 2)


def build_lexicon(
    keyword_papers: list[tuple[list[str], list[str]]],
    definitions: list[tuple[str, str, int]],
    aliases: dict[str, str],
) -> Lexicon:
    """The lexicon from (ai_keywords, phrases) of keyworded papers and acronym definitions (acronym, long key, papers).

    `aliases` (long-form key -> acronym, defined by enough papers to merge counts) folds a long form
    into its acronym, so a paper writing "OPD" whose keywords say "on-policy distillation" names it.
    """
    alias_keys = {long: term_key(acronym) for long, acronym in aliases.items()}

    def key(text: str) -> str:
        k = _key(text)
        return alias_keys.get(k, k)

    held: Counter[str] = Counter()
    named: Counter[str] = Counter()
    spellings: Counter[tuple[str, str]] = Counter()
    for keywords, phrases in keyword_papers:
        wanted = set()
        for keyword in keywords:
            wanted.add(key(keyword))
            spellings[(_key(keyword), keyword)] += 1
        for k in {key(p) for p in phrases}:
            held[k] += 1
            named[k] += k in wanted
    # Each acronym's long form: the one most papers define, as keywords spell it when they do.
    best: dict[str, tuple[int, str]] = {}
    for acronym, long_key, papers in definitions:
        a = term_key(acronym)
        if a not in best or papers > best[a][0] or (papers == best[a][0] and long_key < best[a][1]):
            best[a] = (papers, long_key)
    spelled: dict[str, str] = {}
    for (k, spelling), _count in sorted(spellings.items(), key=lambda item: (-item[1], item[0])):
        spelled.setdefault(k, spelling)
    long_forms = {a: _lower_unless_name(spelled.get(k, k)) for a, (_, k) in best.items()}
    return Lexicon({k: (n, named[k]) for k, n in held.items()}, long_forms, dict(aliases))


def _wilson_upper(successes: int, trials: int, z: float = 1.645) -> float:
    share = successes / trials
    centre = share + z * z / (2 * trials)
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return (centre + spread) / (1 + z * z / trials)


@lru_cache(maxsize=1 << 16)
def _key(text: str) -> str:
    return term_key(text)


def _lower_unless_name(text: str) -> str:
    text = re.sub(r"\\[`'\"^~]|[{}]", "", text)  # LaTeX accents as abstracts write them: "fr\'echet"
    return " ".join(w if is_name_like(w) else w.lower() for w in text.split())


@lru_cache(maxsize=1 << 16)
def _rare_in_english(word: str) -> bool:
    from wordfreq import zipf_frequency

    parts = [p for p in word.replace("-", " ").split() if p]
    return any(zipf_frequency(p, "en") < COMMON_ZIPF for p in parts)
