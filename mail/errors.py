"""Errors of the email package."""

from __future__ import annotations

from common.errors import PapertrendError


class MailError(PapertrendError):
    """An email could not be composed or sent as asked."""
