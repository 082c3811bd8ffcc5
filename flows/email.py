"""Email summaries: compose each period once, send each subscriber's message once (warehouse.email_log).

The weekly-report flow calls deliver() after the report is stored; the hf-daily
deployment after its ingest, on days with an HF digest; `papertrend email` runs
the email_summaries flow. Composition runs in a thread ahead of the sender, so
rendering the next message overlaps waiting for the server's answer.

Subscribers and the log live in the audience store; the warehouse is only read
for the period's content. No address reaches Prefect: the flow takes a
subscriber id, and log lines name subscribers by id.
"""

from __future__ import annotations

import logging
import queue
import re
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from prefect import flow

from common.names import Cadence, EmailStatus
from flows.files import write_atomically
from flows.run import newest_digest_day, publish_snapshot, run_name
from flows.settings import Settings, SettingsInvalid, run_settings, smtp_config
from mail.mailer import Mailer, SmtpUnavailable
from mail.message import Composer, Sender
from mail.period import build_period
from reports.errors import InvalidWeek
from reports.model import WeekReport
from reports.weeks import WEEK_LABEL, last_complete_week_in_data, week_start
from warehouse import email_log
from warehouse.audience import connect_audience, sending_turn
from warehouse.db import connect
from warehouse.subscribers import Subscriber, new_token, subscribers, token_hash

log = logging.getLogger("papertrend.email")
NOT_CONFIGURED = "email not configured ([email] smtp_host is empty): no summaries sent"
PENDING_BATCH = 50  # messages claimed (marked pending) in one transaction before they are sent
MAX_DEFERRED_IN_A_ROW = 5  # a relay deferring this many in a row is down for now: stop, keep the rest due
AHEAD = 64  # messages composed ahead of the sender


class EmailDeferred(SmtpUnavailable):
    """Some messages of a period were deferred (4xx) until the attempts ran out: they are due again."""


@dataclass
class EmailOutcome:
    """What a delivery did for one period."""

    period: str
    sent: int = 0
    skipped: int = 0
    already_sent: int = 0
    # (address, last reply), permanent or deferred: for the shell to print; never logged, never stored by Prefect
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: int = 0  # of `failed`, those still pending: a rerun sends them
    written: list[Path] = field(default_factory=list)  # dry run: the .eml files


# persist_result=False: the outcome names recipients, and Prefect must keep no copy of it.
@flow(
    name="email",
    validate_parameters=False,
    persist_result=False,
    flow_run_name=run_name("email {period}", period="latest week"),
)
def email_summaries(
    period: str | None = None,
    dry_run: bool = False,
    outbox: str | None = None,
    resend: bool = False,
    subscriber: int | None = None,
) -> EmailOutcome:
    """Send (or, dry, write) the summaries of `period`: an ISO week for weekly subscribers, a day for daily ones;
    only to the subscriber with id `subscriber` if given (an id, never an address: Prefect stores parameters)."""
    settings = run_settings()
    kind, label = resolve_period(settings, period)
    return deliver(
        settings, kind, label, dry_run=dry_run, outbox=Path(outbox) if outbox else None, resend=resend, to=subscriber
    )


def resolve_period(settings: Settings, period: str | None) -> tuple[str, str]:
    """('weekly', '2026-W17') or ('daily', '2026-04-24'); default: the last complete week in the data."""
    if period and WEEK_LABEL.match(period):
        week_start(period)  # a week that does not exist fails here
        return Cadence.WEEKLY, period
    if period:
        try:
            return Cadence.DAILY, date.fromisoformat(period).isoformat()
        except ValueError:
            raise InvalidWeek(f"period {period!r} is neither a week like 2026-W17 nor a day like 2026-04-24") from None
    return Cadence.WEEKLY, last_complete_week_in_data(newest_digest_day(settings))


def deliver(
    settings: Settings,
    kind: str,
    label: str,
    *,
    dry_run: bool = False,
    outbox: Path | None = None,
    resend: bool = False,
    to: int | None = None,
    report: WeekReport | None = None,
) -> EmailOutcome:
    """Compose and send `label`'s messages to the active `kind` subscribers still due (all with `resend`),
    only to the subscriber with id `to` if given. Log rows older than [email] log_days are pruned first."""
    check_configured(settings, dry_run=dry_run)
    sender = sender_of(settings)
    outcome = EmailOutcome(label)
    with connect_audience(settings.audience_path) as store:
        if not dry_run:
            pruned = email_log.prune(store, settings.email_log_days)
            if pruned:
                log.info("email log: %d row(s) older than %d days pruned", pruned, settings.email_log_days)
        due = _due(store, kind, label, resend=resend or dry_run, to=to, outcome=outcome)
        seen = email_log.papers_sent(store, [s.id for s in due if s.id is not None], before=label)
    if not due:
        log.info("email %s: nobody due (%d already sent)", label, outcome.already_sent)
        return outcome
    with connect(settings.warehouse_path) as con:
        period = build_period(con, kind, label, report, seeds=[s for sub in due for s in sub.seeds])
    composer = Composer(period, sender)
    messages = _composed(composer, due, seen)
    if dry_run:
        folder = outbox or settings.data_dir / "outbox"
        for item in messages:
            if isinstance(item.data, bytes):
                outcome.written.append(write_atomically(folder / label / _file_name(item.sub.address), item.data))
            elif item.data is None:
                outcome.skipped += 1
            else:
                outcome.failed.append((item.sub.address, f"composing failed ({type(item.data).__name__})"))
        log.info("email %s (dry run): %d message(s) written to %s", label, len(outcome.written), folder / label)
        return outcome
    _send_all(settings, label, messages, outcome, resend=resend)
    publish_snapshot(settings, recount=True)
    log.info("email %s: %d sent, %d skipped, %d failed", label, outcome.sent, outcome.skipped, len(outcome.failed))
    return outcome


def check_configured(settings: Settings, *, dry_run: bool = False) -> None:
    """Raise SettingsInvalid unless there is an SMTP server to send through (a dry run needs none)."""
    if not settings.email_smtp_host and not dry_run:
        raise SettingsInvalid(
            "email is not configured: [email] smtp_host is empty; set it and from_address (README: Email), "
            "or use --dry-run"
        )


def send_summaries(settings: Settings, kind: str, label: str, report: WeekReport | None = None) -> None:
    """Email a stored period's summaries to the subscribers still due; one line, no failure, when email is off.

    A refused recipient is logged and stays failed; a deferred one, or an unreachable server, fails the
    run, and its retry sends only to those not yet sent.
    """
    if not settings.email_smtp_host:
        log.warning(NOT_CONFIGURED)
        return
    outcome = deliver(settings, kind, label, report=report)
    if outcome.failed:  # counted, not named: run logs never carry an address (`papertrend email` lists them)
        log.warning("email %s: %d message(s) not delivered", label, len(outcome.failed))
    if outcome.deferred:
        # Fail the run: Prefect's retry sends them (only them), and ops_address hears of it.
        raise EmailDeferred(
            f"{outcome.deferred} message(s) of {label} were deferred by the SMTP server; a rerun sends them"
        )


def _due(
    store: sqlite3.Connection, kind: str, label: str, *, resend: bool, to: int | None, outcome: EmailOutcome
) -> list[Subscriber]:
    entries = email_log.entries_by_subscriber(store, label)
    due = []
    for sub in subscribers(store, cadence=kind, ids=None if to is None else [to]):
        if sub.paused:
            continue
        entry = entries.get(sub.id) if sub.id is not None else None
        if entry and not resend and entry.status in (EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.SKIPPED):
            outcome.already_sent += entry.status == EmailStatus.SENT
            continue
        due.append(sub)
    return due


@dataclass(frozen=True)
class Composed:
    """One subscriber's message: its bytes, or None when skipped, or the error composing it; its
    Message-ID and the hash of the unsubscribe token its links carry."""

    sub: Subscriber
    data: bytes | Exception | None
    message_id: str
    token_hash: str
    papers: tuple[str, ...] = ()  # the arXiv ids it lists: never listed to this reader again


def _composed(composer: Composer, due: list[Subscriber], seen: dict[int, set[str]]) -> Iterator[Composed]:
    """Each due subscriber's message, composed in a thread up to AHEAD in advance, each with a fresh random
    unsubscribe token. Stopping the iteration stops the thread."""
    ready: queue.Queue[Composed | BaseException | None] = queue.Queue(AHEAD)
    stop = threading.Event()

    def put(item: Composed | BaseException | None) -> bool:
        while not stop.is_set():  # the sender may have stopped listening: never block for good
            try:
                ready.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for sub in due:
                mid = composer.message_id(sub)
                token = new_token()
                data: bytes | Exception | None
                papers: tuple[str, ...] = ()
                try:  # serialised here, ahead of the sender
                    composed = composer.compose_with_papers(sub, token, seen.get(sub.id or 0, set()))
                    data, papers = composed if composed else (None, ())
                except Exception as exc:  # one subscriber's message, not everyone's after them
                    log.exception(
                        "email %s: could not compose the message to subscriber #%s", composer.period.label, sub.id
                    )
                    data = exc
                if not put(Composed(sub, data, mid, token_hash(token), papers)):
                    return
            put(None)
        except BaseException as exc:  # handed to the sender's thread
            put(exc)

    threading.Thread(target=work, name="compose", daemon=True).start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def _send_all(
    settings: Settings, label: str, messages: Iterator[Composed], outcome: EmailOutcome, *, resend: bool = False
) -> None:
    """Send batch by batch. Each batch claims its rows (pending, one attempt more, the tokens' hashes kept) in a
    short write of the audience store and records each outcome before the next message goes out. A batch is
    sent in this process's sending turn, so another run cannot claim its pending rows meanwhile; the store
    itself is not held between writes, so an unsubscribe never waits on a delivery."""
    deferred_in_a_row = 0
    with Mailer(smtp_config(settings)) as mailer, connect_audience(settings.audience_path) as store:
        for batch in _batches(messages, PENDING_BATCH):
            with sending_turn(settings.audience_path):
                deferred_in_a_row = _send_batch(
                    settings, label, store, mailer, batch, outcome, resend, deferred_in_a_row
                )


def _send_batch(
    settings: Settings,
    label: str,
    store: sqlite3.Connection,
    mailer: Mailer,
    batch: list[Composed],
    outcome: EmailOutcome,
    resend: bool,
    deferred_in_a_row: int,
) -> int:
    """Claim and send one batch; return how many deferrals in a row it ends with."""
    claims = [
        email_log.Claim(c.sub.id, c.message_id, c.token_hash)
        for c in batch
        if isinstance(c.data, bytes) and c.sub.id is not None
    ]
    claimed = email_log.claim(store, label, claims, resend)
    for item in batch:
        sub, data, mid = item.sub, item.data, item.message_id
        if sub.id is None:  # only subscribers read from the store are sent to
            continue
        if data is None:
            email_log.mark_done(store, label, sub.id, EmailStatus.SKIPPED, "nothing matched its filters", mid)
            outcome.skipped += 1
        elif isinstance(data, Exception):
            reply = f"not sent: composing failed ({type(data).__name__})"
            email_log.mark_done(store, label, sub.id, EmailStatus.FAILED, reply, mid)
            outcome.failed.append((sub.address, reply))
        elif sub.id in claimed:  # else another run has it, or sent it meanwhile
            delivery = mailer.send(data, settings.email_from_address, sub.address)
            # A deferred message stays pending: a rerun (the flow's retry) tries it again.
            status = (
                delivery.status if delivery.status in (EmailStatus.SENT, EmailStatus.FAILED) else EmailStatus.PENDING
            )
            email_log.mark_done(
                store, label, sub.id, status, delivery.reply, mid, address=sub.address, papers=item.papers
            )
            if status == EmailStatus.SENT:
                outcome.sent += 1
                deferred_in_a_row = 0
                continue
            outcome.failed.append((sub.address, delivery.reply))
            outcome.deferred += status == EmailStatus.PENDING
            deferred_in_a_row = deferred_in_a_row + 1 if status == EmailStatus.PENDING else 0
            if deferred_in_a_row == MAX_DEFERRED_IN_A_ROW:
                raise SmtpUnavailable(
                    f"SMTP server {settings.email_smtp_host} deferred {deferred_in_a_row} messages in a "
                    f"row (last: {email_log.scrubbed(delivery.reply, sub.address)}); the rest of {label} "
                    "stays due for the next run"
                )
    return deferred_in_a_row


def _batches(items: Iterator[Composed], size: int) -> Iterator[list[Composed]]:
    batch: list[Composed] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def sender_of(settings: Settings) -> Sender:
    """Who messages are from and where unsubscribes go, from the [email] settings."""
    return Sender(
        settings.email_from_address or "papertrend@localhost.localdomain",
        settings.email_from_name,
        settings.email_reply_to or None,
        settings.email_unsubscribe_address or None,
        settings.email_unsubscribe_url or None,
        settings.email_report_url or None,
        settings.web_base_url or None,
    )


def _file_name(address: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]", "_", address) + ".eml"
