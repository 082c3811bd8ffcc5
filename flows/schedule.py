"""Scheduling: the deployments papertrend serves (hf-daily, arxiv-daily, weekly-report) and serving them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from common.sources import ARXIV, HF
from flows.prefect_env import pin_for_served_runs
from flows.settings import Settings
from flows.sweeper import SWEEP_INTERVAL_SECONDS, sweep_orphaned_runs

# A run that would overlap the previous one of its deployment waits its turn (ENQUEUE), never runs beside it.
CONCURRENCY_LIMIT = 1
COLLISION_STRATEGY = "ENQUEUE"
WATCH_INTERVAL_SECONDS = 2.0  # how often serve looks for runs that started or ended (and for a stop)
STOP_GRACE_SECONDS = 3.0  # what the runner gets to wind down (cancel runs in flight) once serve is told to stop


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


def serve_deployments(settings: Settings, stop: threading.Event, report: Callable[[str], None]) -> None:
    """Run every deployment on its schedule until `stop` is set; each run re-reads papertrend.toml and PAPERTREND_*.

    Prefect's runner works in a thread of its own; this thread sweeps runs left
    behind by a `serve` that is gone (flows/sweeper.py) when it starts and every
    SWEEP_INTERVAL_SECONDS, and hands `report` one line per run start and end.
    Once `stop` is set the runner gets STOP_GRACE_SECONDS to wind down, then
    this returns regardless (the runs' processes end with the runner's thread).
    """
    from prefect.client.orchestration import get_client
    from prefect.runner import Runner

    pin_for_served_runs(settings)
    runner = Runner(pause_on_shutdown=True)
    names: dict[UUID, str] = {runner.add_deployment(d): d.name for d in _runner_deployments(settings)}  # type: ignore[misc]
    with get_client(sync_client=True) as client:
        for swept in sweep_orphaned_runs(client, names, grace=timedelta(0)):
            report(
                f"{swept.deployment} {swept.name}: was left {swept.stuck_in} by a serve that is gone; ended as Crashed"
            )
        working = threading.Thread(target=asyncio.run, args=(runner.start(),), name="papertrend-runner", daemon=True)
        working.start()
        watch, next_sweep = RunWatch(names), time.monotonic() + SWEEP_INTERVAL_SECONDS
        while not stop.wait(WATCH_INTERVAL_SECONDS) and working.is_alive():
            sweeping = time.monotonic() >= next_sweep
            _look(client, watch, names, report, sweep=sweeping)
            next_sweep += SWEEP_INTERVAL_SECONDS * sweeping
        if runner.started:
            runner.execute_in_background(runner.astop)
        working.join(STOP_GRACE_SECONDS)
        _look(client, watch, names, report, sweep=False)  # how the last runs ended


def _look(client: Any, watch: RunWatch, names: dict[UUID, str], report: Callable[[str], None], *, sweep: bool) -> None:
    """Report runs that started or ended, and (when `sweep`) end those no process runs; a server that
    does not answer this time is said in one line, and serve carries on."""
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError

    try:
        for line in watch.news(client):
            report(line)
        for swept in sweep_orphaned_runs(client, names) if sweep else []:
            report(f"{swept.deployment} {swept.name}: left {swept.stuck_in} by no process; ended as Crashed")
    except (httpx.HTTPError, PrefectHTTPStatusError) as exc:
        report(f"the Prefect server did not answer ({type(exc).__name__}); trying again")


def _runner_deployments(settings: Settings) -> list[Any]:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron

    from flows.scheduled import FLOWS

    limit = ConcurrencyLimitConfig(
        limit=CONCURRENCY_LIMIT, collision_strategy=ConcurrencyLimitStrategy(COLLISION_STRATEGY)
    )
    return [
        FLOWS[d.flow].to_deployment(
            name=d.name,
            schedules=[Cron(d.cron, timezone=d.timezone)],
            parameters=d.parameters,
            concurrency_limit=limit,
        )
        for d in deployments(settings)
    ]


class RunWatch:
    """Turns what the runs of our deployments did since the last look into one line per start and end."""

    def __init__(self, deployments: dict[UUID, str]) -> None:
        self.deployments = deployments
        self.since = datetime.now(UTC)
        self.told: dict[UUID, str] = {}  # run id -> "started" | "ended"

    def news(self, client: Any) -> list[str]:
        """Lines for runs that started or ended since the last call, e.g. 'hf-daily ingest 2026-12-04: started'."""
        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterDeploymentId,
            FlowRunFilterStartTime,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import TERMINAL_STATES, StateType

        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=list(self.deployments)),
                # Prefect matches a run not started yet by its expected start: the state says which started.
                start_time=FlowRunFilterStartTime(after_=self.since),  # type: ignore[arg-type]
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING, *TERMINAL_STATES])),
            ),
            limit=200,
        )
        runs = [r for r in runs if r.start_time is not None and r.start_time >= self.since]
        lines = []
        for run in sorted(runs, key=lambda r: r.start_time or self.since):
            label = f"{self.deployments.get(run.deployment_id, '?')} {run.name}"
            if run.state is None or self.told.get(run.id) == "ended":
                continue
            if run.id not in self.told:
                lines.append(f"{label}: started")
                self.told[run.id] = "started"
            if run.state.is_final():
                seconds = run.total_run_time.total_seconds()
                lines.append(f"{label}: {run.state.name} in {seconds:.0f} s")
                self.told[run.id] = "ended"
        return lines
