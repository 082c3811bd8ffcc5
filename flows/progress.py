"""A hook through which long flows report progress to whoever shows it (the CLI).

The listener is a ContextVar, not a module global: the flow runs a command
starts in its context (Prefect copies the context into a run and its tasks)
report to its bar, and nothing else does.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol


class Listener(Protocol):
    def begin(self, total: int, label: str) -> None: ...
    def advance(self, steps: int) -> None: ...


_LISTENER: ContextVar[Listener | None] = ContextVar("papertrend_progress_listener", default=None)


def set_listener(listener: Listener | None) -> None:
    """Install (or remove, with None) the object that shows the progress of what this context runs."""
    _LISTENER.set(listener)


def begin(total: int, label: str) -> None:
    """Announce `total` units of work about to be done; a no-op when nobody listens."""
    listener = _LISTENER.get()
    if listener is not None:
        listener.begin(total, label)


def advance(steps: int = 1) -> None:
    """Report `steps` more units done; a no-op when nobody listens."""
    listener = _LISTENER.get()
    if listener is not None:
        listener.advance(steps)
