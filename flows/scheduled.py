"""The flows as their deployments run them, with `serve` or on workers: retried when they fail.

Retries belong to the flow object: a `prefect.yaml` deployment cannot set them
(Prefect ignores a `retries:` key there), so prefect.yaml names these as its
entrypoints and `serve` deploys the same objects. One-shot commands
(`papertrend ingest`, `weekly-report`) run the plain flows: a person waiting
at a terminal is told of a failure at once.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow

from flows.ingest import ingest as _ingest
from flows.weekly import weekly_report as _weekly_report

# A scheduled run that fails (the site answered 5xx all day, the disk filled) is tried again this often, this far
# apart. A run that Crashed (its process or host died) is not retried by Prefect: serve's sweeper or the
# workers' heartbeat automation deal with those (docs/operations.md).
RETRIES, RETRY_DELAY_SECONDS = 2, 300

ingest = _ingest.with_options(retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
weekly_report = _weekly_report.with_options(retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS)
FLOWS: dict[str, Flow[..., Any]] = {"ingest": ingest, "weekly-report": weekly_report}  # by Prefect flow name
