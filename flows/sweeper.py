"""Runs of our deployments that no process is running any more: found and ended, so their slots come back;
and, for `status`, deployments whose runs wait on their slot for longer than their period.

Each deployment runs one run at a time (a concurrency slot). A run left
PENDING (e.g. "Submitting") or RUNNING by a `serve` that was killed or
interrupted keeps its slot, and every later run then waits in
AwaitingConcurrencySlot for ever. `serve` sweeps when it starts and every
SWEEP_INTERVAL_SECONDS: such a run is set Crashed with the reason, which
releases the slot. One `serve` per Prefect server runs these deployments
(docs/operations.md), so a run is ours to judge when no process of this
`serve` is running it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx

if TYPE_CHECKING:  # Prefect is imported by the functions that talk to it
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

SWEEP_INTERVAL_SECONDS = 60.0
# A run between its Pending proposal and its process starting belongs to no process yet: leave it this long.
SUBMIT_GRACE = timedelta(seconds=60)
SWEPT_REASON = (
    "papertrend serve: no process is running this run any more (serve was killed or interrupted); "
    "ended so its deployment's concurrency slot is released"
)
_FLOW_RUN_VARIABLE = b"PREFECT__FLOW_RUN_ID="  # the runner starts each run's process with it


@dataclass(frozen=True)
class SweptRun:
    """A run the sweeper ended: which deployment, its name, the state it was stuck in."""

    deployment: str
    name: str
    stuck_in: str


def sweep_orphaned_runs(
    client: SyncPrefectClient, deployments: dict[UUID, str], *, grace: timedelta = SUBMIT_GRACE
) -> list[SweptRun]:
    """End as Crashed the PENDING/RUNNING runs of `deployments` (id -> name) that no process of ours runs.

    A run whose state is younger than `grace` is left alone (it may be being
    submitted right now); `serve` passes no grace when it starts, before it runs anything.
    """
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    now, running = datetime.now(UTC), runs_in_child_processes()
    swept = []
    for run in _runs_in(client, deployments, [StateType.PENDING, StateType.RUNNING]):
        state = run.state
        if state is None or str(run.id) in running or now - state.timestamp < grace:
            continue
        client.set_flow_run_state(run.id, Crashed(message=SWEPT_REASON), force=True)
        swept.append(
            SweptRun(
                deployments.get(run.deployment_id, "?") if run.deployment_id else "?",
                run.name,
                state.name or str(state.type),
            )
        )
    return swept


def runs_in_child_processes() -> set[str]:
    """Ids of the flow runs whose processes this process started and that are still alive (Linux /proc)."""
    me, ids = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid ...": the name may hold spaces and parentheses, so split after the last ')'.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != me:
                continue
            environment = (stat.parent / "environ").read_bytes()
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue
        ids |= {
            v.removeprefix(_FLOW_RUN_VARIABLE).decode()
            for v in environment.split(b"\0")
            if v.startswith(_FLOW_RUN_VARIABLE)
        }
    return ids


def _runs_in(client: SyncPrefectClient, deployments: Iterable[UUID], states: list[Any]) -> list[FlowRun]:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )

    return client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=list(deployments)),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states)),
        ),
        limit=200,
    )


SCHEDULER_TIMEOUT = 2.0  # `status` stays quick when the Prefect server is slow or gone
WAITING_STATE = "AwaitingConcurrencySlot"


@dataclass
class SchedulerCheck:
    """What `status` learnt from the Prefect server: was it asked, and which deployments wait on their slot."""

    url: str | None
    checked: bool = False
    why_not: str = ""
    waiting: list[dict[str, Any]] = field(default_factory=list)  # deployment, runs, since, period_seconds

    def problems(self) -> list[str]:
        return [
            f"{w['deployment']}: {w['runs']} run(s) waiting for its concurrency slot since {w['since'][:16]} UTC, "
            f"longer than its period ({w['period_seconds'] / 60:.0f} min): a run holds the slot; restart "
            "`papertrend serve` (it ends runs no process runs) or see docs/operations.md"
            for w in self.waiting
        ]

    def as_json(self) -> dict[str, Any]:
        return {"url": self.url, "checked": self.checked, "why_not": self.why_not, "waiting": self.waiting}


def check_scheduler(url: str | None, periods: dict[str, timedelta], now: datetime) -> SchedulerCheck:
    """Ask the Prefect API at `url` (SCHEDULER_TIMEOUT) which of the deployments in `periods` (name -> the
    time between two of its runs) have runs waiting on their concurrency slot for longer than that period."""
    check = SchedulerCheck(url)
    if url is None:
        check.why_not = "no Prefect server is recorded"
        return check
    try:
        with httpx.Client(base_url=url.rstrip("/") + "/", timeout=SCHEDULER_TIMEOUT) as client:
            found = _post(client, "deployments/filter", {"deployments": {"name": {"any_": list(periods)}}})
            names = {d["id"]: d["name"] for d in found}
            waiting = _post(
                client,
                "flow_runs/filter",
                {
                    "flow_runs": {
                        "deployment_id": {"any_": list(names)},
                        "state": {"name": {"any_": [WAITING_STATE]}},
                    }
                },
            )
    except (httpx.HTTPError, ValueError) as exc:
        check.why_not = f"the Prefect server at {url} did not answer in {SCHEDULER_TIMEOUT:g} s ({type(exc).__name__})"
        return check
    check.checked = True
    for deployment_id, name in sorted(names.items(), key=lambda item: item[1]):
        since = [
            datetime.fromisoformat(r["expected_start_time"]) for r in waiting if r["deployment_id"] == deployment_id
        ]
        if since and now - min(since) > periods[name]:
            check.waiting.append(
                {
                    "deployment": name,
                    "runs": len(since),
                    "since": min(since).astimezone(UTC).isoformat(),
                    "period_seconds": periods[name].total_seconds(),
                }
            )
    return check


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(path, json=body | {"limit": 200})
    response.raise_for_status()
    return list(response.json())
