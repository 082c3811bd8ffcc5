"""Is the pipeline healthy? Freshness per source against its calendar, the last run of each flow, quarantine.

`papertrend status` prints this for people and as JSON for monitors; its
exit code is `healthy`. Kept free of Prefect, so status stays quick.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from common.names import BAD_OUTCOMES
from common.sources import ARXIV, HF
from flows.bounds import latest_day
from flows.calendar import cron_firings, expected_listing, is_listing_day
from flows.settings import Settings
from flows.sweeper import SchedulerCheck, check_scheduler
from warehouse import queries
from warehouse.db import connect_for_reading
from warehouse.integrity import corrupt, damage
from warehouse.paths import snapshot_path

# HF builds a day's digest through that day; hf-daily fetches it in the morning
# (06:30 by default), so by noon in `timezone` today's digest is due.
HF_DUE_AFTER = timedelta(hours=12)
# arXiv announces at 20:00 US Eastern and arxiv-daily fetches at 20:30 with retries:
# a listing counts as due six hours after its announcement would make it current.
ARXIV_GRACE = timedelta(hours=6)
GAP_WINDOW_DAYS = 28  # missing days are looked for this far back from the newest digest


@dataclass
class SourceHealth:
    """One followed digest: the HF day list, or one arXiv category's /new listing."""

    source: str
    listing: str
    newest: date | None
    expected: date
    missing: list[date] = field(default_factory=list)  # due days without a digest, between loaded ones
    future: list[date] = field(default_factory=list)  # digests dated after tomorrow: loaded by mistake, never fresh

    @property
    def name(self) -> str:
        return f"{self.source} {self.listing}".strip()

    @property
    def behind(self) -> bool:
        return self.newest is None or self.newest < self.expected


@dataclass
class Health:
    """Everything `papertrend status` shows, and the verdict."""

    as_of: datetime
    sources: list[SourceHealth]
    runs: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    counts: dict[str, int]
    warehouse_bytes: int
    snapshot_age_seconds: float | None
    scheduler: SchedulerCheck = field(default_factory=lambda: SchedulerCheck(None))
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """The object `status --format json` prints (dates as ISO strings)."""
        return {
            "healthy": self.healthy,
            "problems": self.problems,
            "as_of": self.as_of.isoformat(),
            "sources": [
                asdict(s)
                | {
                    "name": s.name,
                    "stale": s.behind,
                    "missing": [d.isoformat() for d in s.missing],
                    "future": [d.isoformat() for d in s.future],
                }
                for s in self.sources
            ],
            "runs": self.runs,
            "quarantine": self.quarantine,
            "warehouse": {
                "counts": self.counts,
                "bytes": self.warehouse_bytes,
                "snapshot_age_seconds": self.snapshot_age_seconds,
            },
            "scheduler": self.scheduler.as_json(),
        }


def end_of_day(day: date, settings: Settings) -> datetime:
    """The instant `status --as-of DAY` judges at: midnight after `day` in `timezone`."""
    return datetime.combine(day + timedelta(1), time(0), settings.zone)


def check_health(settings: Settings, as_of: datetime | None = None, prefect_url: str | None = None) -> Health:
    """Judge the published snapshot as of `as_of` (default: now), and the scheduler of the Prefect API at
    `prefect_url` (None: "not checked"); raises WarehouseMissing when there is no snapshot."""
    now = as_of or datetime.now(UTC)
    followed = (HF,) * settings.hf_enabled + (ARXIV,) * settings.arxiv_enabled
    with connect_for_reading(settings.warehouse_path) as con:
        loaded = queries.digest_dates(con, followed)
        runs = queries.last_runs(con).to_dicts()
        quarantine = queries.open_quarantine(con).drop("sha256").to_dicts()
        counts = queries.table_counts(con)
    sources, last = [], latest_day(settings, now)
    if settings.hf_enabled:
        sources.append(_judge(HF, "", loaded.get((HF, ""), set()), _hf_due(now, settings), _is_weekday, last))
    for category in settings.categories if settings.arxiv_enabled else []:
        due = expected_listing(now - ARXIV_GRACE, settings.holidays)
        days = loaded.get((ARXIV, category), set())
        sources.append(_judge(ARXIV, category, days, due, lambda d: is_listing_day(d, settings.holidays), last))
    health = Health(
        as_of=now,
        sources=sources,
        runs=[_plain(r) for r in runs],
        quarantine=[_plain(q) for q in quarantine],
        counts=counts,
        warehouse_bytes=_size(settings.warehouse_path),
        snapshot_age_seconds=_age(snapshot_path(settings.warehouse_path)),
        scheduler=check_scheduler(prefect_url, deployment_periods(settings), datetime.now(UTC)),
    )
    health.problems = _problems(health) + health.scheduler.problems()
    damaged = damage(settings.warehouse_path)  # readers see the snapshot: say when the file behind it is broken
    if damaged is not None:
        health.problems.insert(0, str(corrupt(settings.warehouse_path, damaged)))
    return health


def deployment_periods(settings: Settings) -> dict[str, timedelta]:
    """The longest time between two runs of each scheduled deployment over its next few runs."""
    from flows.schedule import deployments

    periods = {}
    for d in deployments(settings):
        fires = cron_firings(d.cron, datetime.now(ZoneInfo(d.timezone)))
        times = [next(fires) for _ in range(8)]
        periods[d.name] = max(later - earlier for earlier, later in pairwise(times))
    return periods


def _hf_due(now: datetime, settings: Settings) -> date:
    day = (now.astimezone(settings.zone) - HF_DUE_AFTER).date()
    while not _is_weekday(day):
        day -= timedelta(1)
    return day


def _is_weekday(day: date) -> bool:
    return day.weekday() < 5


def _judge(
    source: str, listing: str, days: set[date], expected: date, due: Callable[[date], bool], last: date
) -> SourceHealth:
    # A digest dated after `last` (tomorrow) cannot be real: it is reported, and freshness ignores it.
    future = sorted(d for d in days if d > last)
    days = days - set(future)
    newest = max(days) if days else None
    health = SourceHealth(source, listing, newest, expected, future=future)
    if newest is not None:
        start = max(min(days), newest - timedelta(GAP_WINDOW_DAYS - 1))
        span = (start + timedelta(n) for n in range((newest - start).days + 1))
        health.missing = [d for d in span if due(d) and d not in days]
    return health


def _problems(health: Health) -> list[str]:
    problems = []
    stale: dict[tuple[str, date | None, date], list[str]] = {}
    for s in health.sources:  # the categories of one source that are equally behind make one problem
        if s.behind:
            stale.setdefault((s.source, s.newest, s.expected), []).append(s.listing)
    for (source, newest, expected), listings in stale.items():
        name = f"{source} {', '.join(listings)}".strip()
        if newest is None:
            problems.append(f"{name}: nothing loaded yet (expected the digest of {expected})")
        else:
            problems.append(f"{name} stale: newest digest {newest}, expected {expected}")
    for s in health.sources:
        if s.missing:
            shown = ", ".join(str(d) for d in s.missing[:5]) + (" ..." if len(s.missing) > 5 else "")
            problems.append(f"{s.name}: {len(s.missing)} day(s) missing: {shown}")
    for s in health.sources:
        if s.future:
            shown = ", ".join(str(d) for d in s.future[:5]) + (" ..." if len(s.future) > 5 else "")
            problems.append(f"{s.name}: {len(s.future)} digest(s) dated in the future ({shown}); not counted as fresh")
    for run in health.runs:
        if run["status"] in BAD_OUTCOMES:
            problems.append(f"last {run['flow']} run {run['status']} ({run['started_at'][:16]} UTC)")
    if health.quarantine:
        problems.append(f"{len(health.quarantine)} page(s) in open quarantine")
    return problems


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    # JSON-ready: timestamps and dates as ISO text.
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


def _size(path: Path) -> int:
    wal = path.with_name(path.name + ".wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


def _age(path: Path) -> float | None:
    if not path.exists():
        return None
    return round(datetime.now(UTC).timestamp() - os.stat(path).st_mtime, 1)
