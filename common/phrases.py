"""Key-phrase rules: the candidate research terms of a paper's title and abstract (pure; ingest indexes them).

A candidate is noun-phrase-like: 1-5 words inside one clause, cut at every
closed-class word (determiners, prepositions, conjunctions, pronouns,
auxiliaries), prose verb and adverb, never starting or ending on a generic
word ("approach", "novel", "results") or a number, and never spanning a
sentence or clause break. No part-of-speech tagger can be installed here, so
the chunking is built from these closed lists; which candidates are research
terms is weighed later, per report, against corpus evidence (reports/terms.py).

Numbers stay inside names ("Qwen2.5-VL", "GPT-4o", "3D", "R1") but a bare
number, multiplier or unit ("200k", "9b", "2.26times", "5,000") is never a
term and breaks a phrase. A single word is a candidate only when it looks
like a name (capitals or digits inside it: GRPO, DeepSeek-R1, LoRA). An
acronym a paper defines ("reinforcement learning with verifiable rewards
(RLVR)", Schwartz & Hearst 2003) stands for its long form in that paper.
"""

from __future__ import annotations

import re
from functools import lru_cache

PHRASES_VERSION = 4  # bump when phrases() changes: the stored phrase index is then rebuilt (never 0)
MAX_WORDS = 5

_URL = re.compile(r"https?://\S+|\b[\w.-]+\.(?:com|org|io|ai|net)(?:/\S*)?", re.I)
# A clause ends at these; "2.5" and "5,000" keep their point and comma (no space follows).
_BREAK = re.compile(r"[;:!?()\[\]{}\"\u201c\u201d]|,\s|\.(?:\s|$)|\s[-\u2013\u2014]+\s|\u2014|\u2013|\s'|'\s")
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*(?:k|m|b|t|x|times|ms|s|h|fps|gb|mb|tb|kb|%|st|nd|rd|th)?$")
_ACRONYM_PLURAL = re.compile(r"^[A-Z][A-Z0-9]+s$")
_SIZE = re.compile(r"^\d+(?:\.\d+)?[bmk]$")  # a model size: 8b, 1.5b, 500m
_ACRONYM = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9\-]{1,9}?)(s?)\s*\)")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CLOSED = _words(
    """
a an the this that these those each every any some all both either neither no nor another such what which whose
about above across after against along among amongst around as at before behind below beneath beside besides
between beyond by despite down during except for from in inside into like near of off on onto out outside over
past per since than through throughout to toward towards under underneath unlike until up upon via with within
without versus vs and or but yet so because although though while whereas if unless whether once
i we you he she it they me us him her them my our your his its their mine ours itself themselves ourselves
one ones who whom how when where why is are was were be been being am have has had having do does did done can
could may might must shall should will would not also only just even still already again further thus hence
therefore however moreover furthermore then there here many much more most less least few fewer several various
numerous other others same different own very too quite rather almost always often usually sometimes never
better worse best worst e.g i.e etc et al eg ie cf respectively namely
two three four five six seven eight nine ten dozens hundreds thousands millions first second third fourth fifth
"""
)
# A phrase never ends on a modifier waiting for its noun ("two complementary", "3D-aware"):
# adjective suffixes, and the adjectival second halves of hyphenated compounds.
_ADJECTIVE_ENDINGS = ("ive", "ic", "ous", "ary", "able", "ible", "ful", "less", "ical", "ial", "ual", "tal")
_NOT_ADJECTIVES = _words(
    """
objective alternative narrative initiative primitive incentive positive negative directive detective logic music
topic metric rubric graphic heuristic arithmetic diagnostic dictionary vocabulary summary library boundary
memory glossary salary anniversary table cable variable tutorial potential individual material chemical retrieval
signal proposal removal survival arrival interval terminal manual portal rival journal animal approval rehearsal
trial dual virtual visual textual capital digital spatial temporal mental dental vital total critical
"""
)
_ADJECTIVE_PARTS = _words(
    """
based aware driven guided generated specific oriented free level scale like agnostic centric intensive efficient
friendly style enhanced powered conditioned informed grounded augmented dependent independent invariant sensitive
"""
)
# Verbs of academic prose, in every inflection: a phrase never reaches across one.
# Verbs whose forms are research terms ("learning", "scaling", "reasoning", "grounding") are not here.
_PROSE_VERBS = """
propose present introduce show demonstrate achieve outperform surpass improve enable allow require remain reveal
suggest indicate find obtain provide offer make use utilize utilise leverage exploit employ apply adopt develop
construct create conduct perform investigate explore examine analyze analyse address tackle solve mitigate reduce
increase enhance boost yield lead result produce attain reach exceed compare consider focus aim seek attempt try
fail struggle lack need help facilitate highlight underscore emphasize emphasise establish ensure maintain preserve
retain incorporate integrate combine extend adapt permit let become get give take keep bring come go see know think
believe argue claim observe note report describe discuss explain hold contain include involve comprise consist
depend rely relate refer correspond differ vary span cover release publish evaluate assess measure design build
generate retrieve serve act operate work operate run return select identify determine define denote represent
capture exhibit display suffer remain limit hinder prevent avoid overcome bridge fill unlock unleash empower
advance accelerate outline summarize summarise review survey treat handle manage process deliver bring benefit
open lower raise cut save drive push pave set put call name term deem view regard frame position motivate inspire
beat rival interact contribute revisit rethink meet
""".split()
_IRREGULAR = _words(
    "shown found made led given taken became got gotten brought held seen saw known knew thought went gone came "
    "built kept set put cut run ran done"
)


def _inflections(verb: str) -> set[str]:
    stem = verb[:-1] if verb.endswith("e") else verb
    forms = {verb, verb + "s", verb + "d" if verb.endswith("e") else verb + "ed", stem + "ing"}
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        forms.add(verb + "es")
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        forms |= {verb[:-1] + "ies", verb[:-1] + "ied"}
    return forms


# Verbs whose -ing form (and sometimes -ed form) is a research term: only the finite forms break.
_TERM_VERBS = _words(
    "train trains trained learn learns reason reasons plan plans pretrain pretrains fine-tune fine-tunes fine-tuned "
    "align aligns distill distills predict predicts detect detects scale scales ground grounds"
)
PROSE_VERBS = frozenset(form for verb in _PROSE_VERBS for form in _inflections(verb)) | _IRREGULAR | _TERM_VERBS
# Words ending in -ly that are not adverbs.
_NOT_ADVERBS = _words("family anomaly anomalies assembly supply monopoly butterfly italy july reply apply early daily")
# Generic words: fine inside a term ("multi-task learning"), never at its edge ("proposed framework").
EDGE_WORDS = _words(
    """
novel new proposed effective simple strong powerful promising significant substantial superior remarkable
impressive comprehensive extensive existing recent current prior previous traditional conventional typical common
specific key main crucial critical important diverse rich overall general sota state-of-the-art large-scale
high-quality real-world open-source well-known widely-used small-scale high-performance
approach approaches method methods methodology framework frameworks technique techniques strategy strategies
paradigm paradigms result results performance performances work works paper papers study studies problem problems
challenge challenges issue issues task tasks ability abilities capability capabilities way ways number numbers set
sets type types kind kinds level levels amount amounts term terms aspect aspects factor factors insight insights
finding findings experiment experiments improvement improvements gain gains advantage advantages effectiveness
solution solutions setting settings scenario scenarios application applications domain domains field fields area
areas case cases example examples variety range lot lots part parts process processes use usage step steps stage
stages component components module modules mechanism mechanisms manner degree extent order fact means role roles
need needs potential contribution contributions limitation limitations direction directions baseline baselines
art end
"""
)
# Academic boilerplate that is never a trend, whatever its counts.
BOILERPLATE = frozenset(
    """
github com|https github com|code is available|code available|publicly available|experimental results
|extensive experiments|real-world|large-scale|high-quality|fine-grained|task-specific|domain-specific
|general-purpose|end-to-end|plug-and-play|off-the-shelf|cutting-edge|well-established|data-driven|time-consuming
|low-cost|human-like|project page|open-source|open source|source code|real world|wide range|recent years
|recent advances|recent advancements|future research|trade-off|long-standing|widely used
""".replace("\n", "").split("|")
)


def phrases(text: str) -> set[str]:
    """The candidate terms of a text, each in its display form (names keep their case, other words lower case).

    See the module docstring for the rules.
    """
    return phrases_and_acronyms(text)[0]


def phrases_and_acronyms(text: str) -> tuple[set[str], dict[str, str]]:
    """The candidate terms of a text, and the acronyms it defines (acronym -> long form's term_key)."""
    text = _URL.sub(" . ", text).replace("\u2019", "'").replace("'s ", " ")
    defined = _defined_acronyms(text)
    found: set[str] = set()
    for clause in _BREAK.split(text):
        for chunk in _chunks(_TOKEN.findall(clause)):
            found |= _subphrases(chunk)
    found -= BOILERPLATE
    keys = {acronym: term_key(long) for acronym, long in defined.items()}
    if keys:
        # An acronym the paper defines stands for its long form: keep the acronym only.
        found = {t for t in found if not any(f" {term_key(t)} " in f" {k} " for k in keys.values())}
        found |= set(keys)
    return found, keys


def term_key(term: str) -> str:
    """What two spellings of one term share: lower case, hyphens as spaces, a last plural 's' dropped.

    "DeepSeek-R1" and "deepseek r1", "world models" and "World Model" have one key, and a model
    family's sizes are the family ("Qwen3-8B" is "qwen3"; "GPT-4o" keeps its "4o").
    """
    words = [w for w in term.lower().replace("-", " ").split() if not _SIZE.match(w)] or term.lower().split()
    if words:
        last = words[-1]
        if _ACRONYM_PLURAL.match(term.replace("-", " ").split()[-1]):  # "GPUs", "LLMs"
            words[-1] = last[:-1]
        elif last.endswith("ies") and len(last) > 4:
            words[-1] = last[:-3] + "y"
        elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "ics")):
            words[-1] = last[:-1]
    return " ".join(words)


def is_content_word(word: str) -> bool:
    """May `word` start and end a phrase (not closed-class, a prose verb, a number, generic or a modifier)?"""
    classified = _classify(word)
    return classified is not None and classified[1] and classified[3]


def same_idea(a: str, b: str) -> bool:
    """Do two terms name one idea: one's key holds the other's, word for word ("RL training" and "RL")?"""
    ka, kb = f" {term_key(a)} ", f" {term_key(b)} "
    return ka in kb or kb in ka


def is_name_like(token: str) -> bool:
    """Does the token carry a name's signal: capitals inside it, letters and digits, or an all-caps acronym?"""
    letters = [c for c in token if c.isalpha()]
    if len(token) < 2 or not letters:
        return False
    parts = [p for p in re.split(r"[-.]", token) if p]
    return any(
        any(c.isupper() for c in part[1:])
        or (any(c.isdigit() for c in part) and any(c.isalpha() for c in part))
        or (part.isupper() and len(part) >= 2)
        for part in parts
    )


def _is_number(token: str) -> bool:
    return bool(_NUMBER.match(token.lower()))


def _breaks(token: str) -> bool:
    lower = token.lower()
    if lower in CLOSED or lower in PROSE_VERBS or _is_number(token):
        return True
    return lower.endswith("ly") and len(lower) >= 6 and lower not in _NOT_ADVERBS


# (display form, may start a phrase, is a name, may end a phrase) of a token that does not break phrases.
_Word = tuple[str, bool, bool, bool]


@lru_cache(maxsize=1 << 18)
def _classify(token: str) -> _Word | None:
    # Tokens repeat across papers: classified once (this keeps indexing near 0.3 ms a paper).
    if _breaks(token):
        return None
    lower = token.lower()
    name = is_name_like(token)
    edge = lower not in EDGE_WORDS and len(lower) >= 2
    return (token if name else lower), edge, name, edge and not _is_modifier(lower)


def _is_modifier(lower: str) -> bool:
    last = lower.rsplit("-", 1)[-1]
    if "-" in lower and last in _ADJECTIVE_PARTS:
        return True
    return lower not in _NOT_ADJECTIVES and last.endswith(_ADJECTIVE_ENDINGS) and len(last) > 4


def _chunks(tokens: list[str]) -> list[list[_Word]]:
    chunks: list[list[_Word]] = []
    current: list[_Word] = []
    for token in tokens:
        word = _classify(token)
        if word is None:
            if current:
                chunks.append(current)
            current = []
        else:
            current.append(word)
    if current:
        chunks.append(current)
    return chunks


def _subphrases(chunk: list[_Word]) -> set[str]:
    found = set()
    for i, (shown, starts, name, ends) in enumerate(chunk):
        if not starts:
            continue
        if name and ends:
            found.add(shown)
        for j in range(i + 1, min(i + MAX_WORDS, len(chunk))):
            if chunk[j][3]:
                found.add(" ".join(w[0] for w in chunk[i : j + 1]))
    return found


def _defined_acronyms(text: str) -> dict[str, str]:
    """Acronym -> long form, for each "long form (ACRONYM)" the text defines (Schwartz & Hearst's matching)."""
    defined = {}
    for match in _ACRONYM.finditer(text):
        acronym = match.group(1)
        if sum(c.isupper() for c in acronym) < 2:
            continue
        before = _BREAK.split(text[: match.start()])[-1].split()
        window = before[-min(len(acronym) + 5, 2 * len(acronym)) :]
        long = _long_form(acronym, window)
        if long:
            defined[acronym] = long
    return defined


def _long_form(acronym: str, words: list[str]) -> str | None:
    # Match the acronym's letters right to left against the words' characters; its first
    # letter must start a word. The shortest such suffix of the words is the long form.
    letters = [c.lower() for c in acronym if c.isalnum()]
    text = " ".join(words).lower()
    a, t = len(letters) - 1, len(text) - 1
    while a >= 0:
        while t >= 0 and (text[t] != letters[a] or (a == 0 and t > 0 and text[t - 1].isalnum())):
            t -= 1
        if t < 0:
            return None
        a, t = a - 1, t - 1
    start = text.rfind(" ", 0, t + 1) + 1
    long = " ".join(words)[start:]
    return long if len(long.split()) >= 2 else None
