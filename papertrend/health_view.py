"""`papertrend status` for people: compact tables that fit the terminal, the verdict on the last line."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from common.names import RunStatus
from flows.health import Health

OUTCOME_STYLE = {
    RunStatus.COMPLETED: "green",
    RunStatus.RUNNING: "cyan",
    RunStatus.INCOMPLETE: "yellow",
    RunStatus.INTERRUPTED: "yellow",
    RunStatus.FAILED: "red",
    RunStatus.ABANDONED: "red",
}


def show_health(health: Health, warehouse: str, console: Console) -> None:
    """Print sources, last runs, open quarantine and the warehouse line; the verdict goes last."""
    sources = Table(title="sources", title_justify="left", box=None, pad_edge=False)
    for column in ("source", "newest", "expected", "missing days", "state"):
        sources.add_column(column, no_wrap=column != "missing days", overflow="fold")
    for s in health.sources:
        missing = ", ".join(f"{d:%m-%d}" for d in s.missing[:4]) + (
            f" +{len(s.missing) - 4}" if len(s.missing) > 4 else ""
        )
        state = "[red]stale[/]" if s.behind else "[green]fresh[/]"
        sources.add_row(s.name, str(s.newest or "–"), str(s.expected), missing or "–", state)
    console.print(sources)

    runs = Table(title="\nlast run of each flow", title_justify="left", box=None, pad_edge=False)
    for column, justify in (("flow", "left"), ("started (UTC)", "left"), ("took", "right"), ("fetched", "right")):
        runs.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    runs.add_column("new papers", justify="right", no_wrap=True)
    runs.add_column("outcome", no_wrap=True)
    for run in health.runs:
        style = OUTCOME_STYLE.get(run["status"], "")
        runs.add_row(
            run["flow"],
            run["started_at"][:16].replace("T", " "),
            _duration(run["seconds"]),
            str(run["pages_fetched"]),
            str(run["new_papers"]),
            f"[{style}]{run['status']}[/]" if style else run["status"],
        )
    console.print(runs if health.runs else "\nlast run of each flow: none yet")

    if health.quarantine:
        table = Table(title="\nopen quarantine", title_justify="left", box=None, pad_edge=False)
        table.add_column("day", no_wrap=True)
        table.add_column("source", no_wrap=True)
        table.add_column("why", overflow="ellipsis", no_wrap=True, max_width=70)
        for q in health.quarantine[:10]:
            table.add_row(q["digest_date"], q["source"], q["error"])
        console.print(table)
        if len(health.quarantine) > 10:
            console.print(f"... and {len(health.quarantine) - 10} more (`papertrend sql 'FROM open_quarantine'`)")

    scheduler = health.scheduler
    if not scheduler.checked:
        console.print(f"\nscheduler not checked: {scheduler.why_not}", highlight=False, soft_wrap=True)
    elif not scheduler.waiting:
        console.print(f"\nscheduler: no deployment stuck on its slot ({scheduler.url})", highlight=False)
    for waiting in scheduler.waiting:
        console.print(
            f"\nscheduler: {waiting['deployment']} has {waiting['runs']} run(s) waiting for its slot "
            f"since {waiting['since'][:16].replace('T', ' ')} UTC",
            style="red",
            highlight=False,
        )

    counts = health.counts
    console.print(
        f"\nwarehouse: {warehouse} · {health.warehouse_bytes / 1e6:.1f} MB · "
        f"{counts.get('papers', 0):,} papers, {counts.get('sightings', 0):,} sightings · "
        f"snapshot {_age(health.snapshot_age_seconds)}",
        highlight=False,
        soft_wrap=True,
    )
    at = health.as_of
    judged = (
        f" as of the end of {at - timedelta(seconds=1):%Y-%m-%d}"
        if at.time() == time(0)
        else f" as of {at:%Y-%m-%d %H:%M %Z}"
    )
    if health.healthy:
        console.print(f"healthy{judged}", style="green", highlight=False)
    else:
        console.print(f"unhealthy{judged}: " + "; ".join(health.problems), style="red", highlight=False, soft_wrap=True)


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "–"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "not published yet"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} old"
    return f"{seconds:.0f} s old"
