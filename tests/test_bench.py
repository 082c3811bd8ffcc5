"""The benchmarks stay runnable: each bench/ script imports (they run by hand, not in CI)."""

import importlib
from pathlib import Path

import pytest

BENCH = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "bench").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", BENCH)
def test_a_bench_script_imports(name):
    module = importlib.import_module(f"bench.{name}")
    assert module.__doc__, f"bench/{name}.py says what it measures in its docstring"


def test_the_committed_judged_weeks_are_the_seeded_draw_and_exclude_the_tuning_weeks():
    import json

    from bench.judged_weeks import OUT, SEEN, draw

    committed = json.loads(OUT.read_text())
    assert committed == draw()
    assert not set(committed["judged"]) & (set(committed["tuning"]) | SEEN)
    assert not set(committed["round2"]) & (set(committed["tuning"]) | SEEN | set(committed["judged"]))
    assert not set(committed["round3"]) & (set(committed["round2"]) | set(committed["judged"]) | SEEN)
    assert set(committed["reader"]) <= set(committed["judged"]) and set(committed["reader3"]) <= set(
        committed["round3"]
    )
