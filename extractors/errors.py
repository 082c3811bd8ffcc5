"""Errors raised when captured bytes cannot be turned into records."""
from __future__ import annotations


class ExtractError(ValueError):
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
