"""What a command may ask for: days a digest could exist for, and ranges that need an explicit `--large`.

Checked before any request (and before Prefect starts), so a mistyped year
is one line, not hours of polite fetching or a date overflow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from common.errors import PapertrendError
from flows.digests import work_items
from flows.settings import Settings

# arXiv's first day (hep-th, 1991-08-14): no digest of ours can be dated earlier.
ARXIV_FIRST_DAY = date(1991, 8, 14)
# A range of days (backfill, arxiv-history) longer than a year needs --large.
MAX_RANGE_DAYS = 366
# A refresh window longer than this needs --large: upvotes settle within days, two months is plenty.
MAX_REFRESH_DAYS = 60
LARGE_FLAG = "--large"


class DateOutOfRange(PapertrendError, ValueError):
    """A day before arXiv began or after tomorrow: no digest can exist for it."""


class RangeTooLarge(PapertrendError, ValueError):
    """A range or refresh window over the sane maximum, asked for without --large."""


def latest_day(settings: Settings, now: datetime | None = None) -> date:
    """The last day a digest may be dated: tomorrow in `timezone` (arXiv dates a listing the day after it is out)."""
    return (now or datetime.now(settings.zone)).astimezone(settings.zone).date() + timedelta(1)


def check_day(day: date, settings: Settings, *, what: str, now: datetime | None = None) -> date:
    """Return `day` when a digest could be dated then; raises DateOutOfRange with the allowed range."""
    last = latest_day(settings, now)
    if not ARXIV_FIRST_DAY <= day <= last:
        when = "before arXiv began" if day < ARXIV_FIRST_DAY else "after tomorrow"
        raise DateOutOfRange(f"{what} {day} is {when}; give a day from {ARXIV_FIRST_DAY} (arXiv's first) to {last}")
    return day


def check_range(
    start: date, end: date, settings: Settings, *, large: bool, cost: Callable[[], tuple[int, float]], what: str = ""
) -> None:
    """Refuse [start, end] when it is backwards, out of range, or over MAX_RANGE_DAYS days without `large`.

    `cost()` estimates what the range costs, (requests, seconds each), for the refusal to say.
    """
    check_day(start, settings, what=f"{what}START".strip())
    check_day(end, settings, what=f"{what}END".strip())
    if end < start:
        raise DateOutOfRange(f"END {end} is before START {start}; give the earlier day first")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS and not large:
        raise RangeTooLarge(
            f"{start}..{end} is {days} days (over {MAX_RANGE_DAYS}): {_cost(*cost())}; add {LARGE_FLAG} to go ahead"
        )


def check_refresh_window(day: date, refresh_days: int, settings: Settings, *, large: bool) -> None:
    """Refuse a refresh window below 0, or over MAX_REFRESH_DAYS days without `large`."""
    if refresh_days < 0:
        raise RangeTooLarge(f"--refresh-days must be 0 or more, not {refresh_days}")
    if refresh_days > MAX_REFRESH_DAYS and not large:
        days = refresh_window(day, refresh_days)
        items = work_items(settings, days)
        raise RangeTooLarge(
            f"--refresh-days {refresh_days} is over {MAX_REFRESH_DAYS}: "
            f"{_cost(len(items), fetch_seconds(settings, items) / max(len(items), 1))}; add {LARGE_FLAG} to go ahead"
        )


def refresh_window(day: date, refresh_days: int) -> list[date]:
    """`day` and the `refresh_days` days before it, oldest first, none before arXiv began."""
    window = max(0, min(refresh_days, (day - ARXIV_FIRST_DAY).days))
    return [day - timedelta(n) for n in range(window, -1, -1)]


def backfill_cost(start: date, end: date, settings: Settings) -> tuple[int, float]:
    """(requests, seconds between them on average) of a backfill of [start, end], at least one per digest."""
    days = [start + timedelta(n) for n in range(max(0, (end - start).days) + 1)]
    items = work_items(settings, days, with_arxiv="{date}" in settings.arxiv_listing_path)
    return len(items), fetch_seconds(settings, items) / max(len(items), 1)


def history_cost(start: date, end: date, settings: Settings) -> tuple[int, float]:
    """(requests, seconds each) of arxiv-history over [start, end]: one API query per submission day at least."""
    return max(0, (end - start).days + 1), settings.fetch_policy("arxiv-api").min_interval


def fetch_seconds(settings: Settings, items: list) -> float:
    """The least time fetching `items` takes at the configured intervals (first kind of each)."""
    return sum(settings.fetch_policy(item.kinds[0].kind).min_interval for item in items)


def _cost(requests: int, interval: float) -> str:
    seconds = requests * interval
    took = f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"
    return f"at least {requests} request(s), about {took} at {interval:.2g} s each"
