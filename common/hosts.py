"""This machine's host names: what may be reached without crossing a network (a relay, a replay, a web base URL)."""

from __future__ import annotations

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: str | None) -> bool:
    """Whether `host` names this machine."""
    return host in LOOPBACK_HOSTS
