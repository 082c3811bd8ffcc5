"""Text rules every layer applies alike: runs of whitespace folded to one space, and shortening at a word.

Scraped titles, abstracts, names, SMTP replies and email headers all fold
whitespace; one definition keeps a title the same in the warehouse, the
report and the email.
"""

from __future__ import annotations


def fold_spaces(text: str) -> str:
    """`text` with every run of whitespace (newlines, tabs, NBSP and other Unicode spaces) one space, trimmed."""
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """`text` at most `limit` characters: cut at a word, an ellipsis added."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:/-") + "…"
