"""`papertrend sql`: options in, a query's result out (stdout or an -o file); the running is warehouse/reader.py's."""

from __future__ import annotations

import contextlib
import io
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from papertrend.errors import ParquetNeedsOutput, QueryLimitsInvalid
from papertrend.options import DataDir
from papertrend.shell import settings_for
from warehouse.results import Format

if TYPE_CHECKING:
    import duckdb

DEFAULT_MAX_ROWS = 1000
DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 86_400.0  # a day; also keeps the deadline arithmetic finite
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def sql(
    query: Annotated[str, typer.Argument(help="One SQL statement (read-only); it may start with a -- comment")],
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout (never onto papertrend's files)")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Let -o replace an existing file")] = False,
    max_rows: Annotated[int, typer.Option(help="Table format: rows shown at most")] = DEFAULT_MAX_ROWS,
    timeout: Annotated[float, typer.Option(help="Seconds before the query is stopped")] = DEFAULT_TIMEOUT,
    data_dir: DataDir = None,
) -> None:
    """Run read-only SQL on the published snapshot of the warehouse (every flow run republishes it)."""
    # Registered with ignore_unknown_options: a query such as "-- top papers\nSELECT ..." is the argument.
    if format is Format.parquet and output is None:
        raise ParquetNeedsOutput("--format parquet needs --output FILE")
    if max_rows < 0 or not 0 < timeout < MAX_TIMEOUT:
        raise QueryLimitsInvalid(f"--max-rows must be >= 0 and --timeout between 0 and {MAX_TIMEOUT:g} s")
    from flows.exports import check_target, managed_paths
    from warehouse.db import connect_for_reading
    from warehouse.reader import QueryStopped, run_reading

    settings = settings_for(data_dir)
    if output is not None:
        check_target(output, managed_paths(settings), overwrite=overwrite)

    def write(relation: duckdb.DuckDBPyRelation) -> None:
        _write_result(relation, format, output, max_rows)

    with (
        connect_for_reading(settings.warehouse_path) as con,
        _signals_noted() as caught,
        contextlib.suppress(QueryStopped),  # stopped by a signal: acted on below, once DuckDB let go
    ):
        run_reading(con, query, write, timeout=timeout, stopped=lambda: bool(caught))
    if caught:
        # The export is cleaned up; now the signal does what it does everywhere else.
        if caught[0] == signal.SIGINT:
            raise KeyboardInterrupt
        signal.raise_signal(caught[0])


@contextlib.contextmanager
def _signals_noted() -> Iterator[list[int]]:
    """Note SIGINT and SIGTERM in the yielded list instead of acting on them, for the block, so that none lands
    inside DuckDB's call and the query is stopped cleanly; the caller acts on them after."""
    caught: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in STOP_SIGNALS}
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _write_result(relation: duckdb.DuckDBPyRelation, format: Format, output: Path | None, max_rows: int) -> None:
    from flows.exports import exported
    from warehouse import results

    if output is None:
        _write_text(relation, format, sys.stdout, max_rows)
        return
    with exported(output) as handle:
        if format is Format.parquet:
            rows = results.write_parquet(relation, handle)
        else:
            out = io.TextIOWrapper(handle, encoding="utf-8", newline="")
            _write_text(relation, format, out, max_rows)
            out.flush()
            out.detach()  # exported() closes the file itself, then renames it
            rows = None
    if rows is not None:
        typer.echo(f"{rows} row(s) written to {output}", err=True)


def _write_text(relation: duckdb.DuckDBPyRelation, format: Format, out: TextIO, max_rows: int) -> None:
    from warehouse import results

    frames = results.batches(relation)
    if format is Format.table:
        left_out = results.write_table(frames, out, max_rows=max_rows)
        if left_out:
            typer.echo(f"({left_out} more row(s) not shown; raise --max-rows or use -f csv)", err=True)
    else:
        {Format.csv: results.write_csv, Format.json: results.write_json, Format.jsonl: results.write_jsonl}[format](
            frames, out
        )


def export(
    folder: Annotated[Path, typer.Argument(help="Where versions are kept; FOLDER/current points at the newest")],
    data_dir: DataDir = None,
) -> None:
    """Write every analyst table and view as Parquet for your own tools (DuckDB, polars, pandas, Spark).

    A new version folder is written, then FOLDER/current is switched to it in one rename: a reader sees the
    previous complete export or the new one. FOLDER/current/manifest.json holds rows and a content hash per
    table. Sightings and observations are one file per digest month (hive style: month=2026-04).
    """
    from flows.exports import export_parquet

    done = export_parquet(settings_for(data_dir), folder)
    typer.echo(
        f"exported {len(done.rows)} tables and views ({sum(done.rows.values())} rows) to {done.folder}; "
        f"{folder / 'current'} points at it"
    )
