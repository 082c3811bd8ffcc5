"""The email commands: `subscribers add|remove|list|import`, `email`, `unsubscribe`.

Subscribers live in the audience store: these commands write it at once, then
refresh the warehouse's audience counts when no flow holds the warehouse.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from common.names import Cadence
from flows.settings import Settings
from papertrend.errors import (
    AudienceStoreMissing,
    DeliveryIncomplete,
    PeriodAmbiguous,
    RecipientInvalid,
    RecipientNotDue,
    RecipientUnsubscribed,
    SubscriberUnknown,
)
from papertrend.options import DataDir
from papertrend.shell import flows_with, settings_for
from papertrend.subscriber_csv import CSV_FIELDS, EXPORT_ONLY, LIST_SEPARATOR
from warehouse.subscribers import DEFAULT_MAX_PAPERS

COUNTS_LOCK_WAIT = 2.0  # seconds a subscriber command waits for the warehouse to refresh the counts


class SubscriberFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def add(
    address: Annotated[str, typer.Argument(help="One mailbox, e.g. ada@example.org")],
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="Show papers mentioning it first (repeatable)")] = None,
    topic: Annotated[list[str] | None, typer.Option(help="Show topics and papers about it first (repeatable)")] = None,
    seed: Annotated[list[str] | None, typer.Option(help="arXiv id: show the period's most similar papers")] = None,
    cadence: Annotated[Cadence, typer.Option(help="weekly or daily")] = Cadence.WEEKLY,
    max_papers: Annotated[int, typer.Option(help="Papers per message at most")] = DEFAULT_MAX_PAPERS,
    only_matches: Annotated[bool, typer.Option(help="Send nothing in a period with no match")] = False,
    resubscribe: Annotated[
        bool, typer.Option(help="Subscribe again an address that unsubscribed (only if they asked)")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Subscribe ADDRESS (again: its settings are replaced; one that unsubscribed needs --resubscribe)."""
    from warehouse.subscribers import Subscriber, valid_subscriber

    sub = valid_subscriber(
        Subscriber(
            address,
            name,
            cadence.value,
            tuple(keyword or ()),
            tuple(topic or ()),
            tuple(seed or ()),
            max_papers,
            only_matches,
        )
    )
    stored = _store([sub], data_dir, resubscribe=resubscribe, strict=True)
    again = " again" if stored.resubscribed else ""
    typer.echo(f"subscribed{again} {stored.subscribers[0].address} ({stored.subscribers[0].cadence})")


def remove(
    who: Annotated[str, typer.Argument(help="Address or unsubscribe token")],
    purge: Annotated[
        bool, typer.Option(help="Erase the address for good: the subscriber, their tokens, their log's recipient")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Stop sending to a subscriber (kept, unsubscribed; --purge erases the address from the audience store)."""
    found = _remove(who, purge, data_dir)
    typer.echo(f"{'purged' if purge else 'unsubscribed'} {found}")


def list_subscribers(
    format: Annotated[SubscriberFormat, typer.Option("--format", "-f")] = SubscriberFormat.table,
    all: Annotated[bool, typer.Option("--all", help="Unsubscribed ones too")] = False,
    data_dir: DataDir = None,
) -> None:
    """List subscribers and what they asked for (CSV cells that a spreadsheet would run are quote-prefixed)."""
    from papertrend.subscriber_csv import write_csv
    from warehouse.audience import connect_audience
    from warehouse.subscribers import subscribers

    settings = settings_for(data_dir)
    if not settings.audience_path.exists():
        typer.echo(f"no subscribers (no audience store at {settings.audience_path} yet)")
        return
    with connect_audience(settings.audience_path) as store:
        subs = subscribers(store, active_only=not all)
    rows = [
        {
            "address": s.address,
            "name": s.name or "",
            "cadence": s.cadence,
            "keywords": LIST_SEPARATOR.join(s.keywords),
            "topics": LIST_SEPARATOR.join(s.topics),
            "seeds": LIST_SEPARATOR.join(s.seeds),
            "max_papers": s.max_papers,
            "only_matches": s.only_matches,
            "active": s.active,
            "created_at": s.created_at.isoformat(timespec="seconds") if s.created_at else "",
        }
        for s in subs
    ]
    if format is SubscriberFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    elif format is SubscriberFormat.csv:
        write_csv(rows, sys.stdout, [*CSV_FIELDS, *EXPORT_ONLY])  # type: ignore[arg-type]
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("address", "cadence", "keywords", "topics", "seeds", "max", "active")
        for sub in subs:
            table.add_row(
                sub.address,
                sub.cadence,
                LIST_SEPARATOR.join(sub.keywords),
                LIST_SEPARATOR.join(sub.topics),
                LIST_SEPARATOR.join(sub.seeds),
                str(sub.max_papers),
                "yes" if sub.active else "no",
            )
        Console(width=120).print(table)


def import_subscribers(
    file: Annotated[Path, typer.Argument(help=f"CSV with a header naming {', '.join(CSV_FIELDS)}")],
    resubscribe: Annotated[
        bool, typer.Option(help="Also subscribe again addresses that unsubscribed (only if they asked)")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Add every subscriber of a CSV file; the whole file is checked first and nothing is added if a row is bad.
    An address that unsubscribed stays unsubscribed unless --resubscribe."""
    from papertrend.subscriber_csv import read_csv

    subs = read_csv(file)  # CsvInvalid names the file or every bad row
    stored = _store(subs, data_dir, resubscribe=resubscribe)
    line = f"imported {len(subs)} subscriber(s) from {file}: {stored.added} new, {stored.updated} updated"
    if resubscribe:
        line += f", {stored.resubscribed} re-subscribed"
    typer.echo(line)
    if stored.kept_unsubscribed:
        typer.echo(
            f"{len(stored.kept_unsubscribed)} address(es) unsubscribed before and were left unsubscribed "
            "(--resubscribe only if they asked to come back)"
        )


def email(
    week: Annotated[str | None, typer.Option(help="ISO week YYYY-Www, for weekly subscribers")] = None,
    day: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="A digest day, for daily subscribers")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Write one .eml per recipient to the outbox; send nothing")] = False,
    outbox: Annotated[Path | None, typer.Option(help="Dry run: where (default <data_dir>/outbox)")] = None,
    resend: Annotated[bool, typer.Option(help="Send again to those already sent (same Message-ID)")] = False,
    to: Annotated[str | None, typer.Option(help="Only this subscriber")] = None,
    data_dir: DataDir = None,
) -> None:
    """Send the summaries of a period (default: the last complete week in the data) to those not yet sent."""
    if week and day:
        raise PeriodAmbiguous("--week and --day name two periods")
    settings = settings_for(data_dir)
    from flows.email import check_configured, email_summaries

    check_configured(settings, dry_run=dry_run)  # before a flow (and Prefect) starts
    if dry_run:
        from flows.files import check_writable_folder

        check_writable_folder(outbox or settings.data_dir / "outbox", what="--outbox")
    only = _subscriber_id(settings, to) if to else None  # the flow gets an id: Prefect stores its parameters

    period = week or (day.date().isoformat() if day else None)
    with flows_with(settings):
        outcome = email_summaries(period, dry_run, str(outbox) if outbox else None, resend, only)
    if not (outcome.written or outcome.sent or outcome.skipped or outcome.failed):
        if to and not outcome.already_sent:  # a typo in --to is not "nobody due": it names nobody
            raise RecipientNotDue(
                f"--to {to} names no active {'daily' if day else 'weekly'} subscriber due for {outcome.period}"
            )
        typer.echo(
            f"{outcome.period}: nobody is due (already sent: {outcome.already_sent}; no other active subscriber of that cadence)"
        )
        return
    if dry_run:
        folder = outcome.written[0].parent if outcome.written else (outbox or settings.data_dir / "outbox")
        typer.echo(f"{outcome.period}: wrote {len(outcome.written)} message(s) to {folder}, skipped {outcome.skipped}")
        return
    typer.echo(
        f"{outcome.period}: sent={outcome.sent} skipped={outcome.skipped} already_sent={outcome.already_sent} "
        f"failed={len(outcome.failed)}"
    )
    if outcome.failed:
        raise DeliveryIncomplete(
            f"{len(outcome.failed)} message(s) of {outcome.period} were not delivered",
            tuple(f"{address}: {reply}" for address, reply in outcome.failed),
        )


def unsubscribe(
    who: Annotated[str, typer.Argument(help="The token from a message's unsubscribe link, or the address")],
    data_dir: DataDir = None,
) -> None:
    """Stop the summaries for a token or address (what an https unsubscribe endpoint calls)."""
    typer.echo(f"unsubscribed {_remove(who, False, data_dir)}")


def _subscriber_id(settings: Settings, to: str) -> int:
    from warehouse.audience import connect_audience
    from warehouse.subscribers import SubscriberInvalid, subscribers, valid_address

    try:
        address = valid_address(to)
    except SubscriberInvalid as exc:
        raise RecipientInvalid(f"--to: {exc}") from None
    found = []
    if settings.audience_path.exists():
        with connect_audience(settings.audience_path) as store:
            found = subscribers(store, active_only=False, address=address)
    if not found:
        raise SubscriberUnknown(f"--to {address}: no such subscriber")
    if not found[0].active:
        raise RecipientUnsubscribed(f"--to {address}: unsubscribed")
    return int(found[0].id or 0)  # every subscriber read from the store has its id


def _store(subs: list, data_dir: Path | None, *, resubscribe: bool = False, strict: bool = False) -> Any:
    from warehouse.audience import connect_audience
    from warehouse.subscribers import add_subscribers

    settings = settings_for(data_dir)
    with connect_audience(settings.audience_path) as store:
        stored = add_subscribers(store, subs, resubscribe=resubscribe, strict=strict)
    _refresh_counts(settings)
    return stored


def _remove(who: str, purge: bool, data_dir: Path | None) -> str:
    from warehouse.audience import connect_audience
    from warehouse.subscribers import remove_subscriber

    settings = settings_for(data_dir)
    if not settings.audience_path.exists():
        raise AudienceStoreMissing(f"no subscribers yet (no audience store at {settings.audience_path})")
    with connect_audience(settings.audience_path) as store:
        found = remove_subscriber(store, who, purge=purge)
    if found is None:
        raise SubscriberUnknown(f"no subscriber {who!r}")
    _refresh_counts(settings)
    return found.address


def _refresh_counts(settings: Settings) -> None:
    """Republish the warehouse with fresh audience counts, unless a flow holds it (then the next subscriber
    command or email run refreshes them): the audience change is already stored, and never waits on a load."""
    from flows.run import publish_snapshot
    from warehouse.errors import WarehouseLocked

    if not settings.warehouse_path.exists():
        return  # no warehouse yet: the first flow run counts
    try:
        publish_snapshot(settings, recount=True, lock_wait=COUNTS_LOCK_WAIT)
    except WarehouseLocked:
        typer.echo("(a flow holds the warehouse: audience_counts refresh with the next email run)", err=True)
