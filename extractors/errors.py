"""The root of papertrend's exception tree, and the errors of extraction.

Every layer derives its errors from one base of its own, and every base from
PapertrendError (the tree is drawn in docs/architecture.md). The root lives
here because extractors/ is the leaf every layer may import.
"""

from __future__ import annotations


class PapertrendError(Exception):
    """Something papertrend expected can go wrong went wrong; the message says what to do."""


class ExtractError(PapertrendError, ValueError):
    """A captured page could not be turned into records."""

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.reason = message


class StructureMissing(ExtractError):
    """The page parsed, but the elements that hold the papers are gone (layout change)."""


class MalformedPayload(ExtractError):
    """The body is not the JSON (or repr) shape the source is known to serve."""


class EntryInvalid(ExtractError):
    """An entry lacks a field every entry of this source must carry (e.g. the arXiv id)."""


class PageDateMismatch(ExtractError):
    """The page says it is another day's digest than the one asked for (never loaded under the wrong day)."""
