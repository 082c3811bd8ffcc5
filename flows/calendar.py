"""Calendars: arXiv's announcements (which listing dates exist, which one should be out now), and when
a schedule's cron fires.

arXiv announces Sunday to Thursday at 20:00 US Eastern; each announcement is
the /new listing headed with the next day's date, so listing dates run Monday
to Friday, minus arXiv's holidays (its published schedule; add more with the
`arxiv_holidays` setting).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
ANNOUNCEMENT_TIME = time(20, 0)
# Listing dates without an announcement, from arXiv's holiday schedule.
KNOWN_HOLIDAYS = frozenset(
    {date(2025, 1, 1), date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 1), date(2026, 12, 25), date(2027, 1, 1)}
)


def is_listing_day(day: date, holidays: frozenset[date] | set[date] = frozenset()) -> bool:
    """Does arXiv publish a /new listing dated `day`?"""
    return day.weekday() < 5 and day not in KNOWN_HOLIDAYS and day not in holidays


def expected_listing(now: datetime, holidays: frozenset[date] | set[date] = frozenset()) -> date:
    """The listing date /new should show at `now` (an aware datetime)."""
    eastern = now.astimezone(EASTERN)
    day = eastern.date() + timedelta(1) if eastern.time() >= ANNOUNCEMENT_TIME else eastern.date()
    while not is_listing_day(day, holidays):
        day -= timedelta(1)
    return day


def missing_announcements(
    shown: dict[str, date], now: datetime, holidays: frozenset[date] | set[date] = frozenset()
) -> list[str]:
    """One alert line per category whose /new page shows an older listing than it should."""
    expected = expected_listing(now, holidays)
    return [
        f"arXiv {category}: /new still shows the listing of {day}, expected {expected} "
        f"(announced {ANNOUNCEMENT_TIME:%H:%M} US Eastern the evening before)"
        for category, day in sorted(shown.items())
        if day < expected
    ]


# cronsim reads the five-field crons Prefect schedules; these are the croniter
# aliases Prefect accepts as well.
CRON_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def cron_firings(cron: str, start: datetime) -> Iterator[datetime]:
    """When a schedule written as `cron` (five fields, or an @alias) fires after `start`; raises
    cronsim's CronSimError when `cron` is not a schedule."""
    from cronsim import CronSim

    return CronSim(CRON_ALIASES.get(cron.strip(), cron), start)


def cron_problem(name: str, cron: str) -> str | None:
    """Why the setting `name` = `cron` is not a schedule Prefect can run, or None."""
    from cronsim import CronSimError

    try:
        cron_firings(cron, datetime(2026, 1, 1))
    except CronSimError as exc:
        return f"{name}={cron!r} is not a cron schedule ({exc}); e.g. '30 6 * * *' is 06:30 daily"
    return None
