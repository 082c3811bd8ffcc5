"""ISO weeks: labels, their Mondays, and which week a span of data completes (pure)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from reports.errors import InvalidWeek

WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")
# A week's headline is compared with the mean of the weeks before it.
BASELINE_WEEKS = 8


def iso_week(day: date) -> str:
    """'2025-W22' for any day of that ISO week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(label: str) -> date:
    """The Monday of an ISO week label like '2025-W22'; raises InvalidWeek otherwise."""
    match = WEEK_LABEL.match(label)
    try:
        if match is None:
            raise ValueError(label)
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise InvalidWeek(f"not an ISO week: {label!r} (use YYYY-Www, e.g. 2025-W22)") from exc


def last_complete_week_in_data(newest: date) -> str:
    """The newest ISO week that data ending on `newest` covers through its Friday (no source publishes at weekends)."""
    return iso_week(newest - timedelta(days=(newest.weekday() - 4) % 7))
