"""Key-phrase rules: the candidate phrases of a paper's title and abstract (pure; ingest indexes them).

A phrase is 1-3 words inside one clause, starting and ending on a content
word; single words count only when they look like names. Stop lists and a
boilerplate list keep academic prose out.
"""

from __future__ import annotations

import re

_URL = re.compile(r"https?://\S+|\b[\w.-]+\.(?:com|org|io|ai|net)(?:/\S*)?", re.I)
_TOKEN_ANY_CASE = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"']|\s-\s")
STOPWORDS = frozenset(
    """
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
""".split()
) | frozenset(
    """
demonstrate demonstrates demonstrated demonstrating highlight highlights highlighting address addresses
addressing achieve achieves achieved achieving outperform outperforms outperformed outperforming surpass
surpasses surpassing analyze analyzes analyse analyses facilitate facilitates shown consistently remarkable
impressive comprehensive extensive carefully rapidly widespread substantial systematically effectively
efficiently notably crucial critical ability abilities range role need needs solution solutions
""".split()
)  # academic verbs and praise: a phrase starting or ending on one is prose, not a topic
# Academic boilerplate that is never a trend, whatever its counts.
BOILERPLATE = frozenset(
    """
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
""".replace("\n", "").split("|")
)
PHRASES_VERSION = 3  # bump when phrases() changes: the stored phrase index is then rebuilt (never 0)


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
        content = [w not in STOPWORDS for w in words]  # a phrase starts and ends on a content word
        digits = [w.isdigit() for w in words]
        for i, word in enumerate(words):
            if content[i] and not digits[i] and _name_like(originals[i]):
                found.add(word)
            if i + 1 < len(words) and content[i] and content[i + 1] and not (digits[i] and digits[i + 1]):
                found.add(f"{word} {words[i + 1]}")
            if (
                i + 2 < len(words)
                and content[i]
                and content[i + 2]
                and not (digits[i] and digits[i + 1] and digits[i + 2])
            ):
                found.add(f"{word} {words[i + 1]} {words[i + 2]}")
    return found - BOILERPLATE


def _name_like(word: str) -> bool:
    return len(word) >= 2 and (
        any(c.isdigit() or c == "-" for c in word)
        or any(c.isupper() for c in word[1:])
        or (word.isupper() and len(word) >= 3)
    )
