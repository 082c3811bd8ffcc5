from datetime import date

import polars as pl
import pytest

from common.phrases import phrases, term_key
from reports.terms import HORIZONS, WindowTotals, is_research_term, merge_variants, min_count, score_terms
from reports.trends import _term_trends
from reports.week_inputs import read_week_inputs
from tests.factories import load_corpus
from warehouse.db import connect


def test_phrases_keep_names_and_multiword_terms_but_not_plain_words_or_boilerplate():
    found = phrases(
        "We propose GRPO with test-time compute, as in OpenAI's o1. Results show it is harder. "
        "Code: https://github.com/org/repo"
    )
    assert {"GRPO", "test-time compute", "o1"} <= found
    assert not found & {"harder", "we propose", "results show", "github com", "org", "s o1"}


@pytest.mark.parametrize(
    ("text", "never"),
    [
        ("This yields consistent gains across benchmarks.", "consistent gains"),  # a generic word at the edge
        ("We construct a large-scale dataset of proofs.", "construct a large-scale"),
        ("Long-horizon planning remains difficult for agents.", "remains difficult"),
        ("A memory bank, allowing us to cache keys.", "allowing us"),
        ("Our analysis reveals shortcuts.", "analysis reveals"),
        ("It is 2.26times faster on 5,000 hours of audio.", "26times"),
        ("It is 2.26times faster on 5,000 hours of audio.", "000 hours"),
        ("A 200k context and pass@1 of 9b models.", "200k"),
        ("A 200k context and pass@1 of 9b models.", "pass 1"),
        ("A 200k context and pass@1 of 9b models.", "9b"),
    ],
)
def test_prose_fragments_bare_numbers_and_units_are_never_candidates(text, never):
    assert never not in {term_key(t) for t in phrases(text)}


def test_numbers_inside_names_stay_and_phrases_may_end_in_models():
    found = phrases("Qwen2.5-VL and GPT-4o beat DeepSeek-R1 at 3D scenes; world models and diffusion models help.")
    assert {"Qwen2.5-VL", "GPT-4o", "DeepSeek-R1", "3D scenes", "world models", "diffusion models"} <= found
    assert "models" not in found  # a generic head alone is no term


def test_phrases_run_to_five_words_inside_a_clause_only():
    found = phrases("Unified multimodal vision language action models, trained on robots.")
    assert "unified multimodal vision language action" in found  # five words
    assert not any(len(t.split()) > 5 for t in found)
    assert not any("robots" in t and "models" in t for t in found)  # never across the comma


def test_an_acronym_the_paper_defines_stands_for_its_long_form():
    found = phrases("We study reinforcement learning with verifiable rewards (RLVR) for math. RLVR helps.")
    assert "RLVR" in found and "verifiable rewards" not in found


def test_spellings_of_one_term_share_a_key():
    assert len({term_key(t) for t in ("DeepSeek-R1", "deepseek r1", "Deepseek-R1")}) == 1
    assert term_key("World Models") == term_key("world model") == "world model"
    assert term_key("LLMs") == "llm" and term_key("policies") == "policy" and term_key("dynamics") == "dynamics"


def test_common_english_is_prose_unless_a_name_or_hf_keyword_says_otherwise():
    lexicon = {term_key("world models")}
    assert not is_research_term("consistent gains", lexicon) and not is_research_term("current agents", lexicon)
    assert is_research_term("world models", lexicon) and not is_research_term("world models", set())
    assert is_research_term("GRPO", set()) and is_research_term("test-time scaling", set())


def test_variants_are_one_term_under_the_most_used_spelling():
    frame = pl.DataFrame(
        [("DeepSeek-R1", 9, 1, 3), ("deepseek r1", 2, 0, 1), ("consistent gains", 30, 30, 90)],
        orient="row",
        schema=["term", "week_count", "week_baseline", "history_count"],
    )
    merged = merge_variants(frame, set())
    assert merged.rows() == [("DeepSeek-R1", 11, 1, 4)]


def counts(rows: dict[str, tuple[int, int, int]]) -> pl.DataFrame:
    """term -> (count, baseline_count, history_count)."""
    return pl.DataFrame(
        [(term, *values) for term, values in rows.items()],
        orient="row",
        schema=["term", "count", "baseline_count", "history_count"],
    )


def test_a_rise_from_one_to_three_a_week_is_not_a_trend_but_a_surge_is():
    totals = WindowTotals(target=100, baseline=800, history=5000)
    small = score_terms(counts({"GRPO": (3, 8, 10)}), totals, min_count=3)  # about one paper a week before
    surge = score_terms(counts({"GRPO": (20, 8, 10)}), totals, min_count=3)
    assert small == [] and surge[0].score > 3


def test_a_steady_term_can_still_surge():
    # In every week of the history (the old rule called that background for good), then twice its rate.
    totals = WindowTotals(target=150, baseline=1200, history=7500)
    steady = score_terms(counts({"GRPO": (6, 48, 300)}), totals, min_count=3)
    surge = score_terms(counts({"GRPO": (20, 48, 300)}), totals, min_count=3)
    assert steady == [] and surge and surge[0].score >= 2


def test_the_minimum_count_grows_with_volume():
    week = HORIZONS["week"]
    assert min_count(week, 150) == 3 and min_count(week, 5100) == 26


def test_a_phrase_is_kept_rather_than_its_parts():
    scored = score_terms(
        counts({"test-time compute": (9, 0, 0), "test-time": (10, 0, 0), "compute": (11, 0, 0)}),
        WindowTotals(50, 400, 5000),
        min_count=3,
    )
    assert [t.term for t in scored] == ["test-time compute"] and scored[0].new


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
                rising, new = _term_trends(read_week_inputs(con, week))
                for horizon in ("week", "momentum"):
                    terms = sorted([t for t in rising + new if t.horizon == horizon], key=lambda t: -t.score)[:10]
                    print(week.isocalendar()[:2], horizon, [t.term for t in terms])
                    hits += [(week, horizon) for t in terms if needle(t.term)]
        return hits

    r1 = top([iso_monday(2025, w) for w in range(6, 14)], lambda t: term_key(t) in ("deepseek r1", "r1"))
    grpo = top([iso_monday(2025, w) for w in range(18, 23)], lambda t: term_key(t) == "grpo")
    assert r1 and grpo
