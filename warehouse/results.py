"""A query's result (`papertrend sql`) written out as a table, CSV, JSON, JSON lines or Parquet, batch by batch.

Nothing is built whole: rows arrive from DuckDB as Arrow record batches and
go out as they come, so a million-row result costs one batch of memory. The
table format shows at most `max_rows` rows and says how many it left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum
from typing import BinaryIO, TextIO

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 10_000


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    parquet = "parquet"


def batches(relation: duckdb.DuckDBPyRelation) -> Iterator[pl.DataFrame]:
    """The rows of `relation` as polars frames of about BATCH_ROWS rows each."""
    for batch in relation.to_arrow_reader(BATCH_ROWS):
        yield pl.from_arrow(pa.Table.from_batches([batch]))  # type: ignore[misc]  # a Table gives a DataFrame


def write_table(frames: Iterator[pl.DataFrame], out: TextIO, *, max_rows: int) -> int:
    """Print up to `max_rows` rows as a table; return how many rows were left out."""
    shown: list[pl.DataFrame] = []
    kept, left_out = 0, 0
    for frame in frames:
        take = min(frame.height, max_rows - kept)
        if take:
            shown.append(frame.head(take))
            kept += take
        left_out += frame.height - take
    if shown:
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            fmt_str_lengths=100,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
        ):
            out.write(f"{pl.concat(shown)}\n")
    out.flush()
    return left_out


def write_csv(frames: Iterator[pl.DataFrame], out: TextIO) -> None:
    """CSV with a header; list and struct columns as JSON text (CSV has no nesting)."""
    for n, frame in enumerate(frames):
        out.write(_flat(frame).write_csv(include_header=n == 0))


def write_jsonl(frames: Iterator[pl.DataFrame], out: TextIO) -> None:
    """One JSON object per line."""
    for frame in frames:
        out.write(frame.write_ndjson())


def write_json(frames: Iterator[pl.DataFrame], out: TextIO) -> None:
    """One JSON array of objects, written as the rows come."""
    out.write("[")
    first = True
    for frame in frames:
        for line in frame.write_ndjson().splitlines():
            out.write(line if first else "," + line)
            first = False
    out.write("]\n")


def write_parquet(relation: duckdb.DuckDBPyRelation, out: BinaryIO) -> int:
    """Write the rows of `relation` as Parquet to `out` (by us, not by the query); return rows written."""
    reader = relation.to_arrow_reader(BATCH_ROWS)
    rows = 0
    with pq.ParquetWriter(out, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    return frame.with_columns(
        pl.col(name).map_elements(lambda v: json.dumps(_plain(v), default=str), return_dtype=pl.String)
        for name in nested
    )


def _plain(value: object) -> object:
    return value.to_list() if isinstance(value, pl.Series) else value
