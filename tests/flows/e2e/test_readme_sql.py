"""Every SQL example of the README and docs/ (`papertrend sql`, and `sqlite3` on the audience store), run on the
warehouse `make demo-real` builds from the real captures, its output checked against what the page shows."""

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


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def readme_examples(program: str = "papertrend sql") -> list[tuple[list[str], list[str]]]:
    """(arguments after the program's name, the lines the page shows) of each `$ <program> ...` example of the
    README and docs/."""
    examples: list[tuple[list[str], list[str]]] = []
    blocks = [b for page in PAGES for b in re.findall(r"```console\n(.*?)```", page.read_text(), re.S)]
    for block in blocks:
        lines = block.splitlines()
        while lines:
            line = lines.pop(0)
            if not line.startswith(f"$ {program} "):
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
    assert len(readme_examples()) >= 7  # the README's, docs/schema.md's and docs/operations.md's
    assert len(readme_examples("sqlite3")) >= 1


@pytest.mark.parametrize("args,shown", readme_examples(), ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else "")
def test_a_readme_sql_example_prints_what_the_readme_shows(real_archive, args, shown):
    result = CliRunner().invoke(app, [*args, "--data-dir", str(real_archive)])
    assert result.exit_code == 0, result.output
    assert [line.rstrip() for line in result.stdout.splitlines() if line.strip()] == shown


@pytest.mark.parametrize(
    "args,shown", readme_examples("sqlite3"), ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else ""
)
def test_a_docs_sqlite3_example_on_the_audience_store_prints_what_the_page_shows(real_archive, args, shown):
    """As `sqlite3 FILE "QUERY"` prints (list mode: fields joined by |), on the demo-real audience store."""
    import sqlite3
    from contextlib import closing

    path, query = args
    assert path == "data/audience.sqlite3"
    with closing(sqlite3.connect(real_archive / "audience.sqlite3")) as con:
        rows = con.execute(query).fetchall()
    assert ["|".join(str(v) for v in row) for row in rows] == shown
