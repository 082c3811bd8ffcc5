"""Command-line options more than one command module takes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="PAPERTREND_DATA_DIR", help="Raw archive, warehouse and reports live here."),
]
