"""Scheduling: the deployments papertrend serves (hf-daily, arxiv-daily, weekly-report) and serving them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from extractors.sources import ARXIV, HF
from flows.settings import Settings, pin_for_served_runs

# A run that would overlap the previous one of its deployment waits its turn (ENQUEUE), never runs beside it.
CONCURRENCY_LIMIT = 1
COLLISION_STRATEGY = "ENQUEUE"
# A scheduled run that crashed (the host rebooted, the network went) is tried again this often, this far apart.
RETRIES, RETRY_DELAY_SECONDS = 2, 300


@dataclass(frozen=True)
class Deployment:
    """One scheduled job: what `serve --list` prints, and what `serve` registers with Prefect."""

    name: str
    flow: str
    cron: str
    timezone: str
    parameters: dict[str, Any] = field(default_factory=dict)
    concurrency_limit: int = CONCURRENCY_LIMIT

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def deployments(settings: Settings) -> list[Deployment]:
    """Every scheduled job with its cron and zone (arXiv's in US Eastern: it announces at 20:00 there)."""
    return [
        Deployment("hf-daily", "ingest", settings.hf_cron, settings.timezone, {"sources": [HF], "send_daily": True}),
        Deployment("arxiv-daily", "ingest", settings.schedule_arxiv, settings.arxiv_timezone, {"sources": [ARXIV]}),
        Deployment("weekly-report", "weekly-report", settings.schedule_weekly_report, settings.timezone),
    ]


def serve_deployments(settings: Settings) -> None:
    """Block, running every deployment on its schedule; each run re-reads papertrend.toml and PAPERTREND_*."""
    from prefect import serve
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron

    from flows.ingest import ingest
    from flows.weekly import weekly_report

    flows: dict[str, Any] = {"ingest": ingest, "weekly-report": weekly_report}
    pin_for_served_runs(settings)
    limit = ConcurrencyLimitConfig(
        limit=CONCURRENCY_LIMIT, collision_strategy=ConcurrencyLimitStrategy(COLLISION_STRATEGY)
    )
    served = [
        flows[d.flow]
        .with_options(retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
        .to_deployment(
            name=d.name,
            schedules=[Cron(d.cron, timezone=d.timezone)],
            parameters=d.parameters,
            concurrency_limit=limit,
        )
        for d in deployments(settings)
    ]
    serve(*served, print_starting_message=False)
