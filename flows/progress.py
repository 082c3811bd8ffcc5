"""A process-wide hook through which long flows report progress to whoever shows it (the CLI)."""

from __future__ import annotations

from typing import Protocol


class Listener(Protocol):
    def begin(self, total: int, label: str) -> None: ...
    def advance(self, steps: int) -> None: ...


_listener: Listener | None = None


def set_listener(listener: Listener | None) -> None:
    """Install (or remove, with None) the object that shows progress."""
    global _listener
    _listener = listener


def begin(total: int, label: str) -> None:
    """Announce `total` units of work about to be done; a no-op when nobody listens."""
    if _listener is not None:
        _listener.begin(total, label)


def advance(steps: int = 1) -> None:
    """Report `steps` more units done; a no-op when nobody listens."""
    if _listener is not None:
        _listener.advance(steps)
