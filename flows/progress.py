"""A process-wide hook through which long flows report progress to whoever shows it (the CLI)."""
from __future__ import annotations

from collections.abc import Callable

_listener: Callable[[int, str], None] | None = None


def set_listener(listener: Callable[[int, str], None] | None) -> None:
    """Install (or remove, with None) the callback that receives (steps done, label)."""
    global _listener
    _listener = listener


def advance(steps: int = 1, label: str = "") -> None:
    """Report `steps` more units of work done; a no-op when nobody listens."""
    if _listener is not None:
        _listener(steps, label)
