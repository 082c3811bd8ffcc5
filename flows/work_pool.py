"""Scheduling on workers: the prefect.yaml that deploys what `serve` runs to a Prefect process work pool.

One source for both: the deployments of flows/schedule.py (names, crons, time
zones, parameters, concurrency), the flows of flows/scheduled.py (retries).
Every deployment writes the warehouse, so all go to the QUEUE whose workers
run on the warehouse's host: DuckDB allows one writing process per file, and
the file is local (README: When one machine is not enough).
"""

from __future__ import annotations

from typing import Any

import yaml

from flows.schedule import COLLISION_STRATEGY, deployments
from flows.scheduled import FLOWS
from flows.settings import Settings

POOL = "papertrend"
QUEUE = "warehouse"
TAG = "papertrend"  # on every run of these deployments: what the zombie automation watches, on a shared server
# Each flow-run process tells the server it is alive this often; the zombie automation
# (deploy/prefect/automations.yaml) ends a run silent for ZOMBIE_SECONDS as Crashed. 30 s is Prefect's minimum.
HEARTBEAT_SECONDS = 30
HEADER = """\
# papertrend's deployments for Prefect workers (README: When one machine is not enough).
# Written by `papertrend serve --prefect-yaml` from the schedule settings; the same deployments `serve` runs.
# Deploy from the checkout the workers run: `prefect --no-prompt deploy --all` records this folder as where
# the flows' code is (each deployment's pull step), whatever folder a worker itself starts in.
"""


def prefect_yaml(settings: Settings) -> str:
    """The prefect.yaml deploying every scheduled job of `settings` to the POOL's QUEUE."""
    document: dict[str, Any] = {
        "name": "papertrend",
        "build": None,
        "push": None,
        "deployments": [
            {
                "name": d.name,
                "entrypoint": f"flows/scheduled.py:{FLOWS[d.flow].fn.__name__}",  # the module's name for it
                "tags": [TAG],
                "parameters": d.parameters,
                "schedules": [{"cron": d.cron, "timezone": d.timezone, "active": True}],
                "concurrency_limit": {"limit": d.concurrency_limit, "collision_strategy": COLLISION_STRATEGY},
                "work_pool": {
                    "name": POOL,
                    "work_queue_name": QUEUE,
                    "job_variables": {"env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)}},
                },
            }
            for d in deployments(settings)
        ],
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
