"""Errors of the reports layer."""

from __future__ import annotations

from common.errors import PapertrendError


class ReportError(PapertrendError):
    """A report could not be computed or rendered as asked."""


class InvalidWeek(ReportError, ValueError):
    """A week label is not an ISO week such as 2025-W22."""


class NothingToReport(ReportError):
    """There is no warehouse, or no paper in the week asked for."""
