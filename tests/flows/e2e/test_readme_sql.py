"""Every `papertrend sql` example of the README, run on the warehouse `make demo-real` builds from the real
captures, its output checked against what the README shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.settings import Settings
from papertrend.cli import app
from papertrend.demo import run_demo

pytestmark = [pytest.mark.slow, pytest.mark.fixtures]
ROOT = Path(__file__).resolve().parents[3]


def readme_examples() -> list[tuple[list[str], list[str]]]:
    """(arguments after `papertrend`, the lines the README shows) of each `$ papertrend sql` example."""
    examples: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", (ROOT / "README.md").read_text(), re.S):
        lines = block.splitlines()
        while lines:
            line = lines.pop(0)
            if not line.startswith("$ papertrend sql "):
                continue
            command = line[2:]
            while True:  # the query runs over lines until its quote closes, as a shell reads it
                try:
                    words = shlex.split(command)
                    break
                except ValueError:
                    command += "\n" + lines.pop(0)
            shown = []
            while lines and not lines[0].startswith("$ "):
                shown.append(lines.pop(0))
            examples.append((words[1:], [s for s in shown if s.strip()]))
    return examples


@pytest.fixture(scope="module")
def real_archive(fixtures, tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("demo-real") / "data"
    run_demo(Settings.load(data_dir=data), corpus=fixtures, days=0, papers_per_day=0)
    return data


def test_the_readme_examples_are_all_found():
    assert len(readme_examples()) >= 5


@pytest.mark.parametrize("args,shown", readme_examples(), ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else "")
def test_a_readme_sql_example_prints_what_the_readme_shows(real_archive, args, shown):
    result = CliRunner().invoke(app, [*args, "--data-dir", str(real_archive)])
    assert result.exit_code == 0, result.output
    assert [line.rstrip() for line in result.stdout.splitlines() if line.strip()] == shown
