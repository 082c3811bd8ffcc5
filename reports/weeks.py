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


def default_report_week(weeks: dict[str, set[date]], newest: date) -> str | None:
    """The newest complete ISO week in which every source of `weeks` (source -> Mondays with digests) has
    digests; complete when the data runs through its Friday. None when no week qualifies.

    A week one source has not reached yet would be compared with weeks it has: its "rise" would be the
    other source's volume (demo-real ended on an arXiv-only week with no HF papers and no report).
    """
    common = set.intersection(*weeks.values()) if weeks else set()
    done = [monday for monday in common if monday + timedelta(days=4) <= newest]
    return iso_week(max(done)) if done else None
