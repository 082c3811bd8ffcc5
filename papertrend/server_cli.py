"""Scheduling commands: `serve` (every deployment until stopped) and `server start|stop|status` (the local
Prefect server). Finding, starting and recording servers is flows/prefect_server.py's; this module prints."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from datetime import datetime
from typing import Annotated

import typer

from papertrend.failures import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_TERMINATED, stop_on_signals
from papertrend.options import DataDir, ListFormat, ListFormatOption
from papertrend.shell import settings_for


def serve(
    list_only: Annotated[bool, typer.Option("--list", help="Print the deployments and exit")] = False,
    format: ListFormatOption = ListFormat.table,
    prefect_yaml: Annotated[
        bool, typer.Option("--prefect-yaml", help="Print the prefect.yaml deploying them to workers, and exit")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Run every scheduled job (hf-daily, arxiv-daily, weekly-report) until stopped.

    Uses PREFECT_API_URL when set, else the server of `papertrend server start`
    when it answers, else starts a local Prefect server for as long as it runs.
    """
    settings = settings_for(data_dir)
    from flows.prefect_server import serving_api
    from flows.schedule import COLLISION_STRATEGY, deployments, serve_deployments

    if prefect_yaml:
        from flows.work_pool import prefect_yaml as written

        sys.stdout.write(written(settings))
        return
    jobs = deployments(settings)
    if list_only:
        if format is ListFormat.json:
            sys.stdout.write(json.dumps([d.as_json() for d in jobs], indent=2) + "\n")
        else:
            for d in jobs:
                typer.echo(f"{d.name:14} {d.flow:14} {d.cron:16} {d.timezone:20} limit {d.concurrency_limit}")
        return
    received: list[signal.Signals] = []
    with serving_api(settings.data_dir, settings.prefect_port) as url:
        for d in jobs:
            typer.echo(f"{d.name}: '{d.cron}' ({d.timezone})")
        typer.echo(
            f"serving at {url} (UI: {url.removesuffix('/api')}); a run colliding with a running one is "
            f"{COLLISION_STRATEGY.lower()}d; Ctrl-C stops"
        )
        stop = threading.Event()

        def stop_serving(signum: int, frame: object) -> None:
            received.append(signal.Signals(signum))
            stop.set()

        # However serve was started (SIGINT ignored by a script's `&`, SIGTERM from systemd or a container):
        # both stop it within seconds.
        signal.signal(signal.SIGINT, stop_serving)
        signal.signal(signal.SIGTERM, stop_serving)
        try:
            serve_deployments(settings, stop, lambda line: typer.echo(f"{datetime.now():%H:%M:%S} {line}"))
        finally:
            stop_on_signals()
    how = received[0] if received else None
    typer.echo(f"stopped ({how.name if how else 'the runner ended'})")
    # Everything is stopped and recorded; the interpreter's own shutdown then waited ~3 s on what Prefect's
    # threads left behind, so serve ends here (a supervisor's stop timeout counts those seconds).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit({None: EXIT_FAILURE, signal.SIGTERM: EXIT_TERMINATED}.get(how, EXIT_INTERRUPTED))


def server_start(data_dir: DataDir = None) -> None:
    """Start the local Prefect server in the background and record where it is."""
    from flows.prefect_server import answering_server, start_recorded_server

    settings = settings_for(data_dir)
    running = answering_server(settings.data_dir)
    if running is not None:
        typer.echo(f"already running at {running.url} (pid {running.pid})")
        return
    server = start_recorded_server(settings.data_dir, settings.prefect_port)
    typer.echo(f"Prefect server at {server.url} (pid {server.pid}); UI at {server.url.removesuffix('/api')}")


def server_stop(data_dir: DataDir = None) -> None:
    """Stop the local Prefect server started by `papertrend server start`."""
    from flows.prefect_server import stop_recorded_server

    stopped = stop_recorded_server(settings_for(data_dir).data_dir)
    if stopped is None:
        typer.echo("no local Prefect server is recorded")
        return
    typer.echo(f"stopped the Prefect server at {stopped.url}")


def server_status(data_dir: DataDir = None) -> None:
    """Say whether the recorded local Prefect server answers (exit 1 when it does not)."""
    from flows.prefect_server import ServerNotRunning, answering_server

    running = answering_server(settings_for(data_dir).data_dir)
    if running is None:
        raise ServerNotRunning("no local Prefect server answers")
    typer.echo(f"running at {running.url} (pid {running.pid})")
