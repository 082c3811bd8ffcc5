"""The names several layers write and compare: how a run ended, where a message stands, how often a
subscriber hears from us. StrEnums, so each is spelled once and still reads and stores as its text."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """A `runs` row's status (warehouse/runs.py writes it; status and the health view read it)."""

    RUNNING = "running"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"  # some days or pages did not load; a rerun resumes
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # SIGINT or SIGTERM
    ABANDONED = "abandoned"  # its process is gone (SIGKILL, a reboot): marked by the next run


BAD_OUTCOMES = frozenset({RunStatus.FAILED, RunStatus.INCOMPLETE, RunStatus.ABANDONED, RunStatus.INTERRUPTED})


class EmailStatus(StrEnum):
    """An email log row's status: pending before the SMTP hand-over, then one of the others."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing matched the subscriber's filters


class Cadence(StrEnum):
    """How often a subscriber hears from us."""

    WEEKLY = "weekly"
    DAILY = "daily"
