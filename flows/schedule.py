"""Scheduling: the daily ingest as a Prefect deployment served from this process."""

from __future__ import annotations

from prefect.schedules import Cron, Schedule

from flows.ingest import ingest
from flows.settings import Settings, pin_for_served_runs

DEPLOYMENT_NAME = "papertrend-daily-ingest"


def daily_schedule(settings: Settings) -> Schedule:
    """The configured cron, evaluated in the configured time zone (so DST shifts follow the team)."""
    return Cron(settings.schedule_cron, timezone=settings.timezone)


def serve_daily(settings: Settings) -> None:
    """Block, running `ingest` on schedule; each run re-reads papertrend.toml and PAPERTREND_*."""
    pin_for_served_runs(settings)
    ingest.serve(
        name=DEPLOYMENT_NAME,
        schedules=[daily_schedule(settings)],
        description="Fetch today's Hugging Face digest and re-fetch the refresh window.",
    )
