"""Canonical arXiv identifiers: one spelling per paper, version kept apart."""

from __future__ import annotations

import difflib
import re
from functools import cache
from importlib import resources

from common.errors import PapertrendError

# New-style ids (0704.0001 onwards, 5-digit numbers since 1501) and old-style
# archive ids such as "astro-ph/0601001" or "math.GT/0309136".
_NEW_STYLE = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?")
_OLD_STYLE = re.compile(r"(?P<id>[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?")
# An arXiv category code such as cs.LG, hep-th or math.GT (settings, listings and corpora use it).
CATEGORY_CODE = r"[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?"
CATEGORY = re.compile(rf"^{CATEGORY_CODE}$")
TAXONOMY_FILE = "arxiv_taxonomy.txt"  # package data: arXiv's categories, dated in its header
_PREFIXES = re.compile(r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)", re.I)


class InvalidArxivId(PapertrendError, ValueError):
    """The text is not an arXiv identifier in any known spelling."""


class UnknownCategory(PapertrendError, ValueError):
    """A category code that is not in arXiv's taxonomy (common/arxiv_taxonomy.txt)."""


@cache
def arxiv_categories() -> frozenset[str]:
    """Every category and archive code of arXiv's taxonomy, as shipped in common/arxiv_taxonomy.txt."""
    text = (resources.files("common") / TAXONOMY_FILE).read_text(encoding="utf-8")
    return frozenset(line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_category(code: str) -> str:
    """Return `code` when arXiv has such a category; raises UnknownCategory naming close matches.

    Checked before any request: an unknown category costs arXiv's API a query
    (and us its 3 s interval) only to come back empty.
    """
    known = arxiv_categories()
    if code in known:
        return code
    by_case = {c.lower(): c for c in known}
    close = [by_case[code.lower()]] if code.lower() in by_case else difflib.get_close_matches(code, known, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; e.g. cs.LG, math.ST, hep-th"
    raise UnknownCategory(f"{code!r} is not an arXiv category{hint}")


def split_arxiv_id(raw: str) -> tuple[str, int | None]:
    """Return (canonical id, version or None) for an id, `arXiv:` id or abs/pdf URL.

    Raises InvalidArxivId when nothing id-shaped remains after stripping.
    """
    text = _PREFIXES.sub("", raw.strip())
    text = text.removesuffix(".pdf")
    for pattern in (_NEW_STYLE, _OLD_STYLE):
        match = pattern.fullmatch(text)
        if match:
            version = match.group("v")
            return match.group("id"), int(version) if version else None
    raise InvalidArxivId(f"not an arXiv id: {raw!r}")


def canonical_arxiv_id(raw: str) -> str:
    """Return the versionless canonical id; raises InvalidArxivId."""
    return split_arxiv_id(raw)[0]
