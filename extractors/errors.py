"""The errors of extraction: what a parser raises for a page it cannot read."""

from __future__ import annotations

from common.errors import PapertrendError


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
