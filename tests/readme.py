"""The README as tests read it: a section's console commands with the output shown under each."""

from __future__ import annotations

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str) -> str:
    """The text of the README section `## title`, up to the next `## ` heading."""
    return README.read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def console_commands(title: str) -> list[tuple[str, list[str]]]:
    """Each `$ ` line of the section's console blocks, with the lines shown after it (its output)."""
    commands: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", section(title), re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands:
                commands[-1][1].append(line)
    return commands


def reader_env() -> dict[str, str]:
    """This environment as a reader's shell has it: not a sub-make of `make test` (which would print its folder)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
