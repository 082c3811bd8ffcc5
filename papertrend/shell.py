"""What every command module shares: a command's settings, the context its flows run in, progress, counts.

Command modules import these; nothing reaches them through a module global.
The one thing set by the root command (--debug) travels in a ContextVar,
set by `papertrend.cli.main` and read only by `debug_requested`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from flows.prefect_env import prepare_prefect_env
from flows.settings import Settings, settings_in_use
from papertrend.failures import reported, shown_once

if TYPE_CHECKING:  # rich is imported only when a progress bar is shown
    from rich.progress import Progress, TaskID


_tracebacks: ContextVar[bool] = ContextVar("papertrend_tracebacks", default=False)


def request_debug(on: bool) -> None:
    """Record the invocation's --debug (PAPERTREND_DEBUG=1) for its command; the root command calls it first."""
    _tracebacks.set(on)


def debug_requested() -> bool:
    """Did this invocation ask for tracebacks with its errors?"""
    return _tracebacks.get()


def print_summary(summary: Any) -> None:
    """A run's counts on one line: `new_papers=3 pages_fetched=5 ...`."""
    counts = {k: v for k, v in asdict(summary).items() if isinstance(v, int)}
    typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


friendly: Callable[[Callable[..., Any]], Callable[..., Any]] = reported(
    debug_requested, lambda exc: print_summary(exc.summary)
)
"""Every command is wrapped in it (papertrend/cli.py): each exception becomes one line and an exit code."""


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    """Resolve the command's settings once and prepare Prefect's environment under its data dir."""
    settings = Settings.load(data_dir=data_dir, **overrides)
    prepare_prefect_env(settings.data_dir)
    return settings


@contextlib.contextmanager
def flows_with(settings: Settings) -> Iterator[None]:
    """Flows started in the block run with `settings`, recorded in a running local server if there is one;
    an expected failure is shown once, by `friendly`, not also as Prefect's traceback."""
    from flows.prefect_server import prefect_api_in_use
    from warehouse.integrity import check_intact

    check_intact(settings.warehouse_path)  # a damaged warehouse is named before Prefect starts
    # prefect_api_in_use imports Prefect, which sets up the logging shown_once adjusts.
    with prefect_api_in_use(settings.data_dir), settings_in_use(settings), shown_once(debug_requested()):
        yield


def run_flow(settings: Settings, flow: Callable[..., Any], *args: Any) -> Any:
    """Run a flow with the command's settings, showing its progress on stderr."""
    with flows_with(settings), ProgressBar():
        return flow(*args)


class ProgressBar:
    """Shows flow progress (flows/progress.py) as a rich progress bar on stderr, when stderr is a terminal."""

    def __enter__(self) -> ProgressBar:
        from rich.console import Console
        from rich.progress import Progress

        from flows import progress

        console = Console(stderr=True)
        # Not a terminal (a log file, a pipe, cron): no bar, and no blank line where it was.
        self.progress: Progress = Progress(console=console, transient=True, disable=not console.is_terminal)
        self.progress.start()
        self.task: TaskID | None = None
        progress.set_listener(self)
        return self

    def begin(self, total: int, label: str) -> None:
        self.task = self.progress.add_task(label, total=total)

    def advance(self, steps: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, steps)

    def __exit__(self, *exc: object) -> None:
        from flows import progress

        progress.set_listener(None)
        self.progress.stop()
