"""How failures reach a person: one line saying what went wrong, one saying what to do, an exit code.

Each layer's errors derive from one base (docs/architecture.md draws the
tree); this table maps each error to its advice, and is the only place
advice is written: commands raise errors, never hints. Anything else is a
bug: one line saying so, and the traceback only under `--debug` or
PAPERTREND_DEBUG=1.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import typer

from common.errors import PapertrendError
from common.ids import InvalidArxivId, UnknownCategory
from digest_replay.server import PortOutOfRange, PortUnavailable
from extractors import EXTRACTORS
from extractors.errors import ExtractError
from flows.archive import ArchiveMissing
from flows.bounds import DateOutOfRange, RangeTooLarge
from flows.exports import ExportFolderRefused, ExportFolderUnwritable, OutputRefused, OutputUnwritable
from flows.files import FolderUnwritable, GzipUnreadable, InputTooLarge, NotARegularFile
from flows.http import FetchError
from flows.prefect_server import ServerNotRunning
from flows.run import RunIncomplete, Terminated, stop_reason
from flows.settings import SettingsInvalid
from mail.mailer import SmtpUnavailable
from papertrend.errors import (
    AudienceStoreMissing,
    CannotListen,
    CommandError,
    DeliveryIncomplete,
    DemoIncomplete,
    DigestDateMissing,
    FaultSpecInvalid,
    ParquetNeedsOutput,
    PeriodAmbiguous,
    QuarantineOpen,
    QueryLimitsInvalid,
    RawPagesDamaged,
    RecipientInvalid,
    RecipientNotDue,
    RecipientUnsubscribed,
    RefreshWindowNegative,
    SourceUnknown,
    SubscriberUnknown,
)
from papertrend.subscriber_csv import CsvInvalid, CsvRowsInvalid
from reports.errors import InvalidWeek, ReportError
from warehouse.audience import AudienceError
from warehouse.errors import WarehouseCorrupt, WarehouseError
from warehouse.reader import PersonalTableAsked, QueryFailed, QueryInvalid, QueryTimedOut, StatementRefused
from warehouse.subscribers import ConsentWithdrawn, SubscriberInvalid

EXIT_FAILURE = 1  # a runtime condition: the input, the network, the warehouse
EXIT_USAGE = 2  # a bad argument or setting: fix the command or the config
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
EXIT_TERMINATED = 143  # SIGTERM (kill, timeout, systemd, a container stop), as shells report it
EXIT_BROKEN_PIPE = 141  # the reader of our output closed it, as shells report SIGPIPE
CHECK_THE_QUERY = 'check the query; `papertrend sql "SHOW TABLES"` lists tables'
LIST_SUBSCRIBERS = "`papertrend subscribers list --all` shows them"

# (error class, exit code, what to do), most specific first; the first match wins.
ADVICE: tuple[tuple[type[PapertrendError], int, str], ...] = (
    (SettingsInvalid, EXIT_USAGE, "fix papertrend.toml or the PAPERTREND_* variables (README: Settings)"),
    (RefreshWindowNegative, EXIT_USAGE, "e.g. --refresh-days 7"),
    (QueryLimitsInvalid, EXIT_USAGE, "e.g. --max-rows 50 --timeout 30"),
    (ParquetNeedsOutput, EXIT_USAGE, "e.g. -f parquet -o papers.parquet"),
    (SourceUnknown, EXIT_USAGE, f"use one of: {', '.join(EXTRACTORS)}"),
    (DigestDateMissing, EXIT_USAGE, "pass --date YYYY-MM-DD"),
    (FaultSpecInvalid, EXIT_USAGE, "e.g. --fault 429:2@date=2024-05-28*1 --fault malformed@2024-06-03"),
    (PeriodAmbiguous, EXIT_USAGE, "give one of them"),
    (RecipientInvalid, EXIT_USAGE, "give one subscriber's address"),
    (CsvRowsInvalid, EXIT_USAGE, "fix these rows and import again"),
    (CsvInvalid, EXIT_USAGE, "fix the file"),
    (DateOutOfRange, EXIT_USAGE, "dates are YYYY-MM-DD, from arXiv's first day (1991-08-14) to tomorrow"),
    (
        RangeTooLarge,
        EXIT_USAGE,
        "or ask for less: backfill and arxiv-history resume where they stopped, so a range can go in parts",
    ),
    (FolderUnwritable, EXIT_USAGE, "name a folder you can write to (it is created if missing)"),
    (NotARegularFile, EXIT_USAGE, "pass a saved page or API response (a regular file)"),
    (InputTooLarge, EXIT_FAILURE, "no digest page is that large; raise [fetch] max_bytes only if this one is real"),
    (GzipUnreadable, EXIT_FAILURE, "pass the file as saved, or gunzip it first"),
    (PortOutOfRange, EXIT_USAGE, "e.g. --port 8765, or --port 0 for a free one"),
    (PortUnavailable, EXIT_FAILURE, "stop what holds it, or pick another with --port (0 picks a free one)"),
    (InvalidWeek, EXIT_USAGE, "use an ISO week YYYY-Www, e.g. 2025-W22"),
    (UnknownCategory, EXIT_USAGE, "use a code of arXiv's taxonomy (common/arxiv_taxonomy.txt), e.g. cs.LG"),
    (InvalidArxivId, EXIT_USAGE, "pass ids like 2406.01234, 2406.01234v2, astro-ph/0601001 or abs URLs"),
    (
        SubscriberInvalid,
        EXIT_USAGE,
        "fix the subscriber's address or options: one plain address like ada@example.org (README: Email)",
    ),
    (
        ConsentWithdrawn,
        EXIT_FAILURE,
        "their unsubscribe is kept; `subscribers add --resubscribe` only if they asked to come back",
    ),
    (SubscriberUnknown, EXIT_FAILURE, LIST_SUBSCRIBERS),
    (RecipientUnsubscribed, EXIT_FAILURE, "nothing is sent to an address that unsubscribed"),
    (
        RecipientNotDue,
        EXIT_FAILURE,
        "check the address with `papertrend subscribers list`; --resend sends again to one already sent",
    ),
    (AudienceStoreMissing, EXIT_FAILURE, "add one with `papertrend subscribers add ADDRESS`"),
    (
        DeliveryIncomplete,
        EXIT_FAILURE,
        "a rerun retries the deferred ones; refused ones need --resend --to ADDRESS once fixed",
    ),
    (
        AudienceError,
        EXIT_FAILURE,
        "restore the audience store from its backup (docs/operations.md: Audience store)",
    ),
    (
        SmtpUnavailable,
        EXIT_FAILURE,
        "messages not sent stay due: re-run `papertrend email` once the server answers (sent ones are not repeated)",
    ),
    (RunIncomplete, EXIT_FAILURE, "fix or wait, then re-run: loaded days are skipped, quarantined ones retried"),
    (
        RawPagesDamaged,
        EXIT_FAILURE,
        "re-fetch their days with `papertrend backfill DAY DAY --force` (`papertrend status` lists them)",
    ),
    (QuarantineOpen, EXIT_FAILURE, "see `papertrend status`; fix the extractor or re-fetch those days"),
    (CannotListen, EXIT_USAGE, "choose another --host or --port ([web] host, port), or stop what listens there"),
    (DemoIncomplete, EXIT_FAILURE, "see the quarantined/failed counts above and `papertrend status`"),
    (ServerNotRunning, EXIT_FAILURE, "start one with `papertrend server start`"),
    (
        ArchiveMissing,
        EXIT_FAILURE,
        "restore <data_dir>/raw from a backup, or re-fetch the day with `papertrend backfill DAY DAY --force`",
    ),
    (
        StatementRefused,
        EXIT_FAILURE,
        "query with SELECT; to export, use -f csv|json|jsonl|parquet -o FILE (written by papertrend, not the query)",
    ),
    (ExportFolderRefused, EXIT_USAGE, "choose a folder outside the data folder, e.g. ~/papertrend-export"),
    (ExportFolderUnwritable, EXIT_USAGE, "check the folder: a place you may write, room on the disk"),
    (OutputRefused, EXIT_USAGE, "choose a file outside the data folder, or pass --overwrite for your own file"),
    (OutputUnwritable, EXIT_USAGE, "check the -o path: an existing folder, a file you may write, room on the disk"),
    (QueryInvalid, EXIT_FAILURE, CHECK_THE_QUERY),
    (QueryTimedOut, EXIT_FAILURE, "narrow it, or raise --timeout"),
    (
        PersonalTableAsked,
        EXIT_FAILURE,
        "subscribers and the email log are personal data and live in the audience store, not the warehouse; "
        "query audience_counts for subscribers per cadence and messages per period",
    ),
    (QueryFailed, EXIT_FAILURE, CHECK_THE_QUERY),
    (WarehouseCorrupt, EXIT_FAILURE, "nothing was written to it; docs/operations.md: A damaged warehouse"),
    (WarehouseError, EXIT_FAILURE, "see `papertrend status` and docs/operations.md"),
    (FetchError, EXIT_FAILURE, "check the network and the source's base URL, then re-run"),
    (
        ExtractError,
        EXIT_FAILURE,
        "the page is not in a shape this extractor knows; try --source, or file an issue with the page",
    ),
    (ReportError, EXIT_FAILURE, "see `papertrend status` for what the warehouse holds"),
    (PapertrendError, EXIT_FAILURE, "see docs/operations.md"),
)


class Failure(typer.Exit):
    """A failure already reported to the person: only the exit code is left to give."""


def fail(message: str, hint: str, code: int = EXIT_FAILURE) -> Failure:
    """Print `message` and `hint` on stderr; return the exit to raise."""
    typer.secho(f"error: {message}", err=True, fg="red")
    typer.echo(f"  {hint}", err=True)
    return Failure(code)


def advice_for(exc: PapertrendError) -> tuple[int, str]:
    """The exit code and the what-to-do line for one of our errors."""
    return next((code, hint) for kind, code, hint in ADVICE if isinstance(exc, kind))


def details_of(exc: PapertrendError) -> list[str]:
    """Lines shown after the advice: a CSV file's bad rows, the recipients a run did not reach."""
    if isinstance(exc, CsvInvalid):
        return exc.problems
    if isinstance(exc, CommandError):
        return list(exc.details)
    return []


def reported(
    debug: Callable[[], bool], on_incomplete: Callable[[RunIncomplete], None]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command so that every exception becomes one reported line and an exit code.

    `debug()` says whether to print tracebacks too; `on_incomplete` shows the
    counts of a run that ended incomplete before its error line.
    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except typer.Exit:
                raise
            except BrokenPipeError:
                # The reader went away (`papertrend extract ... | head`): nothing to say, nobody to say it to.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise typer.Exit(EXIT_BROKEN_PIPE) from None
            except KeyboardInterrupt as exc:
                raise stopped(exc) from None
            except PapertrendError as exc:
                if debug():
                    traceback.print_exc()
                if isinstance(exc, RunIncomplete):
                    on_incomplete(exc)
                code, hint = advice_for(exc)
                failure = fail(str(exc), hint, code)
                for line in details_of(exc):
                    typer.echo(f"  {line}", err=True)
                raise failure from None
            except Exception as exc:
                if debug():
                    traceback.print_exc()
                raise fail(
                    f"internal error (a bug in papertrend): {type(exc).__name__}: {exc}",
                    "re-run with `papertrend --debug ...` for the traceback and report it",
                ) from None
            except BaseException as exc:  # Prefect's TerminationSignal: SIGTERM during a flow run
                if stop_reason(exc) is None:
                    raise
                raise stopped(exc) from None

        return wrapper

    return decorate


def stopped(exc: BaseException) -> Failure:
    """Report a command stopped by SIGINT (exit 130) or SIGTERM (exit 143) in one line."""
    hint = "nothing half-written is kept; run the command again"
    if stop_reason(exc) == "SIGTERM":
        return fail("terminated (SIGTERM)", hint, EXIT_TERMINATED)
    return fail("interrupted", hint, EXIT_INTERRUPTED)


def stop_on_signals() -> None:
    """Make SIGINT and SIGTERM unwind the command (KeyboardInterrupt, Terminated), however it was started.

    A process started with SIGINT ignored (`cmd &` in a script, some supervisors)
    inherits SIG_IGN and Python then installs no handler, so Ctrl-C did nothing;
    SIGTERM by default ends the process at once, skipping every cleanup
    (the run stays 'running', a server we started is left behind).
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


class _ExpectedFailures(logging.Filter):
    """Keeps Prefect's "Encountered exception" line and traceback of our own errors, and its crash
    lines, off the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, PapertrendError):
            return False
        # A run stopped by SIGINT/SIGTERM (or crashed) is "Crash detected!" for Prefect, three lines a time;
        # `reported` says it once.
        message = record.getMessage()
        return not (message.startswith("Crash detected!") or "in state Crashed(" in message)


@contextmanager
def shown_once(debug: bool) -> Iterator[None]:
    """In the block, an expected failure of a flow is logged in Prefect and shown once, by `reported`.

    Prefect logs a failing flow's exception with its traceback on the console
    (the root logger's handler) as well as to its API; only the console copy is
    filtered, so the run's log in Prefect keeps the whole story.
    """
    handlers = [] if debug else [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    quiet = _ExpectedFailures()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)
