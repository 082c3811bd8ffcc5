"""Commands over captured pages and corpora: `extract` a saved page, `replay` a corpus, `demo` the pipeline on one."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from papertrend.errors import DemoIncomplete, DigestDateMissing, FaultSpecInvalid, SourceUnknown
from papertrend.options import DataDir
from papertrend.shell import ProgressBar, debug_requested, settings_for

DATE_IN_NAME = re.compile(r"\d{4}-\d{2}-\d{2}")


def extract(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    source: Annotated[
        str | None, typer.Option(help="hf-api | hf-page | arxiv-listing | arxiv-api (default: guessed)")
    ] = None,
    day: Annotated[
        datetime | None,
        typer.Option(
            "--date",
            formats=["%Y-%m-%d"],
            help="Digest date (default: from the file name, else from an HF page itself)",
        ),
    ] = None,
) -> None:
    """Run an extractor on a saved page or API response; print its records as JSON lines."""
    from extractors import EXTRACTORS, guess_source
    from extractors import extract as run_extract
    from flows.files import read_capped
    from flows.settings import Settings

    body = read_capped(path, Settings.load().fetch_max_bytes)
    source = source or guess_source(body)
    if source not in EXTRACTORS:
        raise SourceUnknown(f"unknown source {source!r}")
    digest_date = _digest_date(path, body, source, day.date() if day else None)
    observed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    records = run_extract(body, source=source, digest_date=digest_date, observed_at=observed, where=str(path))
    for record in records:
        sys.stdout.write(json.dumps(asdict(record), ensure_ascii=False, default=str) + "\n")


def _digest_date(path: Path, body: bytes, source: str, given: date | None) -> date:
    # --date, else the file name's date, else (an HF digest page) the date the page states.
    from common.sources import HF_PAGE
    from extractors.errors import ExtractError
    from extractors.hf_daily_html import page_date

    match = DATE_IN_NAME.search(path.name)
    if given is not None:
        return given
    if match is not None:
        return date.fromisoformat(match.group(0))
    stated = None
    if source == HF_PAGE:
        with contextlib.suppress(ExtractError):  # a broken page is named by the extractor below
            stated = page_date(body, where=str(path))
    if stated is None:
        raise DigestDateMissing(f"no date in the file name {path.name!r} nor in the page")
    return stated


def replay(
    corpus: Annotated[Path, typer.Option(exists=True, file_okay=False, help="Corpus directory")],
    port: Annotated[int, typer.Option(help="0 picks a free port")] = 8765,
    fault: Annotated[list[str] | None, typer.Option(help="KIND[:ARG]@MATCH[*TIMES], repeatable")] = None,
) -> None:
    """Serve a corpus on 127.0.0.1 at the real sites' paths, until Ctrl-C."""
    from digest_replay.server import Fault, ReplayServer

    try:
        faults = [Fault.parse(spec) for spec in fault or []]
    except ValueError as exc:
        raise FaultSpecInvalid(str(exc)) from None
    with ReplayServer(corpus, faults=faults, port=port) as server:
        typer.echo(f"serving {corpus} at {server.base_url}  (set PAPERTREND_HF_BASE_URL={server.base_url})")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("stopped")


def demo(
    corpus: Annotated[
        Path | None, typer.Option(exists=True, file_okay=False, help="Replay this corpus instead of a synthetic one")
    ] = None,
    days: Annotated[int, typer.Option(help="Synthetic corpus: digest days")] = 60,
    papers_per_day: Annotated[int, typer.Option(help="Synthetic corpus: papers per day")] = 25,
    data_dir: DataDir = None,
) -> None:
    """Run the real pipeline end to end against a local replay of a corpus, and summarise."""
    settings = settings_for(data_dir)
    from flows.prefect_server import prefect_api_in_use
    from papertrend.demo import captured_days, run_demo
    from papertrend.failures import shown_once

    if corpus is not None:
        captured_days(corpus)  # an empty corpus is said before a Prefect server is started

    with ProgressBar(), prefect_api_in_use(settings.data_dir), shown_once(debug_requested()):
        report, summary = run_demo(settings, corpus=corpus, days=days, papers_per_day=papers_per_day)
    typer.echo(report)
    if summary.incomplete:
        raise DemoIncomplete("the demo run did not load every day")
