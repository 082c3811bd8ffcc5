"""Command-line options more than one command takes, defined once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="PAPERTREND_DATA_DIR", help="Raw archive, warehouse and reports live here."),
]
DayArgument = Annotated[datetime, typer.Argument(formats=["%Y-%m-%d"])]
Force = Annotated[bool, typer.Option(help="Re-fetch days already loaded")]
Large = Annotated[bool, typer.Option(help="Allow a range or refresh window over the usual maximum (flows/bounds.py)")]


class ListFormat(StrEnum):
    """How `status` and `serve --list` print: for people, or for programs."""

    table = "table"
    json = "json"


ListFormatOption = Annotated[ListFormat, typer.Option("--format", "-f")]
