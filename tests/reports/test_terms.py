from datetime import date

import polars as pl
import pytest

from extractors.phrases import BOILERPLATE, phrases
from reports.terms import WindowTotals, score_terms
from reports.trends import _term_trends
from tests.factories import load_corpus
from warehouse.db import connect


def test_phrases_keep_names_and_multiword_terms_but_not_plain_words_or_boilerplate():
    found = phrases(
        "We propose GRPO with test-time compute, as in OpenAI's o1. Results show it is harder. "
        "Code: https://github.com/org/repo"
    )
    assert {"grpo", "test-time compute", "o1"} <= found
    assert not found & {"harder", "we propose", "results show", "github com", "org", "s o1"}


def counts(rows: dict[str, tuple[int, int, int, int]]) -> pl.DataFrame:
    """term -> (count, baseline_count, history_count, weeks_present)."""
    return pl.DataFrame(
        [(term, *values) for term, values in rows.items()],
        orient="row",
        schema=["term", "count", "baseline_count", "history_count", "weeks_present"],
    )


def test_a_rise_from_one_to_three_a_week_is_not_a_trend_but_a_surge_is():
    totals = WindowTotals(target=100, baseline=800, history=5000, history_weeks=50)
    small = score_terms(counts({"grpo": (3, 8, 10, 9)}), totals, min_count=3)  # about one paper a week before
    surge = score_terms(counts({"grpo": (20, 8, 10, 9)}), totals, min_count=3)
    assert small == [] and surge[0].score > 3


def test_a_phrase_is_kept_rather_than_its_parts():
    scored = score_terms(
        counts({"test-time compute": (9, 0, 0, 0), "test-time": (10, 0, 0, 0), "compute": (11, 0, 0, 0)}),
        WindowTotals(50, 400, 5000, 50),
        min_count=3,
    )
    assert [t.term for t in scored] == ["test-time compute"] and scored[0].new


def test_background_phrases_and_minimum_counts_are_filtered():
    totals = WindowTotals(target=100, baseline=800, history=5000, history_weeks=40)
    scored = score_terms(counts({"large language": (30, 0, 0, 14), "rare thing": (2, 0, 0, 0)}), totals, min_count=3)
    assert scored == []
    # With too little history there is no background model, so the same counts are a trend.
    young = score_terms(counts({"large language": (30, 0, 0, 6)}), WindowTotals(100, 800, 5000, 7), min_count=3)
    assert [t.term for t in young] == ["large language"]


def test_boilerplate_list_covers_the_issue_examples():
    assert {
        "github com",
        "we propose",
        "results show",
        "remains underexplored",
        "findings highlight",
        "bridge this gap",
    } <= BOILERPLATE


@pytest.fixture(scope="module")
def real_warehouse(fixtures, tmp_path_factory):
    """The real HF archive loaded into a warehouse, with its phrase index."""
    return load_corpus(fixtures, tmp_path_factory.mktemp("real") / "warehouse.duckdb")


def iso_monday(year: int, week: int) -> date:
    return date.fromisocalendar(year, week, 1)


@pytest.mark.slow
def test_deepseek_r1_rises_in_early_2025_and_grpo_in_may_2025_on_the_real_archive(real_warehouse):
    def top(weeks, needle):
        hits = []
        with connect(real_warehouse, read_only=True) as con:
            for week in weeks:
                rising, new = _term_trends(con, week)
                for horizon in ("week", "momentum"):
                    terms = sorted([t for t in rising + new if t.horizon == horizon], key=lambda t: -t.score)[:10]
                    print(week.isocalendar()[:2], horizon, [t.term for t in terms])
                    hits += [(week, horizon) for t in terms if needle(t.term)]
        return hits

    r1 = top([iso_monday(2025, w) for w in range(6, 14)], lambda t: t in ("deepseek-r1", "deepseek r1", "r1"))
    grpo = top([iso_monday(2025, w) for w in range(18, 23)], lambda t: t == "grpo")
    assert r1 and grpo
