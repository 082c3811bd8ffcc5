"""The email commands: `subscribers add|remove|list|import`, `email`, `unsubscribe`.

papertrend.cli registers them (register()) and hands over the shell's pieces:
error reporting, settings and the flow context, so this module never imports it.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.settings import Settings
from papertrend.failures import EXIT_FAILURE, EXIT_USAGE, fail
from papertrend.options import DataDir

LIST_SEPARATOR = ";"  # between keywords, topics or seeds in one CSV cell
CSV_FIELDS = ("address", "name", "cadence", "keywords", "topics", "seeds", "max_papers", "only_matches")


class _Shell:
    """What the shell lends these commands (set by register)."""

    settings: Callable[..., Settings]
    flows_with: Callable[[Settings], AbstractContextManager[None]]


_shell = _Shell()


def register(
    app: typer.Typer,
    friendly: Callable[[Callable[..., Any]], Callable[..., Any]],
    settings: Callable[..., Settings],
    flows_with: Callable[[Settings], AbstractContextManager[None]],
) -> None:
    """Add the email commands to `app`, each reporting failures through `friendly`."""
    _shell.settings, _shell.flows_with = settings, flows_with
    subscribers_app = typer.Typer(help="Who gets the email summaries.", no_args_is_help=True)
    for name, command in (("add", add), ("remove", remove), ("list", list_subscribers), ("import", import_subscribers)):
        subscribers_app.command(name)(friendly(command))
    app.add_typer(subscribers_app, name="subscribers")
    app.command("email")(friendly(email))
    app.command("unsubscribe")(friendly(unsubscribe))


class Cadence(StrEnum):
    weekly = "weekly"
    daily = "daily"


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
    cadence: Annotated[Cadence, typer.Option(help="weekly or daily")] = Cadence.weekly,
    max_papers: Annotated[int, typer.Option(help="Papers per message at most")] = 10,
    only_matches: Annotated[bool, typer.Option(help="Send nothing in a period with no match")] = False,
    data_dir: DataDir = None,
) -> None:
    """Subscribe ADDRESS (again: its settings are replaced, its unsubscribe token kept)."""
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
    stored = _store([sub], data_dir)[0]
    typer.echo(f"subscribed {stored.address} ({stored.cadence})")


def remove(
    who: Annotated[str, typer.Argument(help="Address or unsubscribe token")],
    purge: Annotated[bool, typer.Option(help="Delete them and their email log instead of deactivating")] = False,
    data_dir: DataDir = None,
) -> None:
    """Stop sending to a subscriber (kept, inactive, with their email log; --purge deletes both)."""
    found = _remove(who, purge, data_dir)
    typer.echo(f"{'purged' if purge else 'unsubscribed'} {found}")


def list_subscribers(
    format: Annotated[SubscriberFormat, typer.Option("--format", "-f")] = SubscriberFormat.table,
    all: Annotated[bool, typer.Option("--all", help="Inactive ones too")] = False,
    data_dir: DataDir = None,
) -> None:
    """List subscribers and what they asked for."""
    from warehouse.db import connect
    from warehouse.subscribers import subscribers

    settings = _shell.settings(data_dir)
    if not settings.warehouse_path.exists():
        typer.echo("no subscribers (no warehouse yet)")
        return
    with connect(settings.warehouse_path) as con:
        subs = subscribers(con, active_only=not all)
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
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else [*CSV_FIELDS, "active"])
        writer.writeheader()
        writer.writerows(rows)
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
    data_dir: DataDir = None,
) -> None:
    """Add every subscriber of a CSV file; the whole file is checked first and nothing is added if a row is bad."""
    subs = _read_csv(file)
    _store(subs, data_dir)
    typer.echo(f"imported {len(subs)} subscriber(s) from {file}")


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
        raise fail("--week and --day name two periods", "give one of them", EXIT_USAGE)
    settings = _shell.settings(data_dir)
    from flows.email import check_configured, email_summaries

    check_configured(settings, dry_run=dry_run)  # before a flow (and Prefect) starts
    if dry_run:
        from flows.files import check_writable_folder

        check_writable_folder(outbox or settings.data_dir / "outbox", what="--outbox")

    period = week or (day.date().isoformat() if day else None)
    with _shell.flows_with(settings):
        outcome = email_summaries(period, dry_run, str(outbox) if outbox else None, resend, to)
    if not (outcome.written or outcome.sent or outcome.skipped or outcome.failed):
        if to and not outcome.already_sent:  # a typo in --to is not "nobody due": it names nobody
            raise fail(
                f"--to {to} names no active {'daily' if day else 'weekly'} subscriber due for {outcome.period}",
                "check the address with `papertrend subscribers list`; --resend sends again to one already sent",
                EXIT_FAILURE,
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
        failure = fail(
            f"{len(outcome.failed)} message(s) of {outcome.period} were not delivered",
            "a rerun retries the deferred ones; refused ones need --resend --to ADDRESS once fixed",
            EXIT_FAILURE,
        )
        for address, reply in outcome.failed:
            typer.echo(f"  {address}: {reply}", err=True)
        raise failure


def unsubscribe(
    who: Annotated[str, typer.Argument(help="The token from a message's unsubscribe link, or the address")],
    data_dir: DataDir = None,
) -> None:
    """Stop the summaries for a token or address (what an https unsubscribe endpoint calls)."""
    typer.echo(f"unsubscribed {_remove(who, False, data_dir)}")


def _store(subs: list, data_dir: Path | None) -> list:
    from flows.run import publish_snapshot
    from warehouse.db import connect
    from warehouse.subscribers import add_subscribers

    settings = _shell.settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with connect(settings.warehouse_path) as con:
        stored = add_subscribers(con, subs)
    publish_snapshot(settings)
    return stored


def _remove(who: str, purge: bool, data_dir: Path | None) -> str:
    from flows.run import publish_snapshot
    from warehouse.db import connect
    from warehouse.subscribers import remove_subscriber

    settings = _shell.settings(data_dir)
    if not settings.warehouse_path.exists():
        raise fail("no subscribers yet (no warehouse)", "add one with `papertrend subscribers add ADDRESS`")
    with connect(settings.warehouse_path) as con:
        found = remove_subscriber(con, who, purge=purge)
    if found is None:
        raise fail(f"no subscriber {who!r}", "`papertrend subscribers list --all` shows them", EXIT_FAILURE)
    publish_snapshot(settings)
    return found.address


def _read_csv(file: Path) -> list:
    from warehouse.subscribers import Subscriber, SubscriberInvalid, valid_subscriber

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}", "give a UTF-8 CSV file", EXIT_USAGE) from None
    reader = csv.DictReader(io.StringIO(text))
    unknown = sorted(set(reader.fieldnames or ()) - set(CSV_FIELDS))
    if "address" not in (reader.fieldnames or ()) or unknown:
        raise fail(
            f"{file}: the header must name address and may name {', '.join(CSV_FIELDS[1:])}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            f"e.g. address,name,keywords (lists separated by '{LIST_SEPARATOR}')",
            EXIT_USAGE,
        )
    subs, bad, seen = [], [], set()
    for line, row in enumerate(reader, start=2):
        try:
            sub = valid_subscriber(
                Subscriber(
                    row.get("address") or "",
                    row.get("name") or None,
                    (row.get("cadence") or "weekly").strip(),
                    _listed(row.get("keywords")),
                    _listed(row.get("topics")),
                    _listed(row.get("seeds")),
                    int(row.get("max_papers") or 10),
                    (row.get("only_matches") or "").strip().lower() in ("1", "true", "yes"),
                )
            )
            if sub.address in seen:
                raise SubscriberInvalid(f"address {sub.address} is on an earlier line too")
            seen.add(sub.address)
            subs.append(sub)
        except (SubscriberInvalid, ValueError) as exc:
            bad.append(f"line {line}: {exc}")
    if bad:
        failure = fail(
            f"{file}: {len(bad)} bad row(s); nothing was imported", "fix these rows and import again", EXIT_USAGE
        )
        for problem in bad:
            typer.echo(f"  {problem}", err=True)
        raise failure
    return subs


def _listed(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(LIST_SEPARATOR) if part.strip())
