import gzip
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest

from extractors.hf_daily_json import parse_daily_api
from reports.terms import BOILERPLATE, WeeklyTerms, phrases, score_terms


def test_phrases_keep_names_and_multiword_terms_but_not_plain_words_or_boilerplate():
    found = phrases("We propose GRPO with test-time compute, as in OpenAI's o1. Results show it is harder. "
                    "Code: https://github.com/org/repo")
    assert {"grpo", "test-time compute", "o1"} <= found
    assert not found & {"harder", "we propose", "results show", "github com", "org", "s o1"}


def test_a_rise_from_one_to_three_a_week_is_not_a_trend_but_a_surge_is():
    history = Counter({"grpo": 10})                    # about one paper a week before
    small = score_terms(Counter({"grpo": 3}), 100, Counter({"grpo": 8}), 800, history, 5000,
                        background=set(), min_count=3)
    surge = score_terms(Counter({"grpo": 20}), 100, Counter({"grpo": 8}), 800, history, 5000,
                        background=set(), min_count=3)
    assert small == [] and surge[0].score > 3


def test_a_phrase_is_kept_rather_than_its_parts():
    target = Counter({"test-time compute": 9, "test-time": 10, "compute": 11})
    scored = score_terms(target, 50, Counter(), 400, Counter(), 5000, background=set(), min_count=3)
    assert [t.term for t in scored] == ["test-time compute"] and scored[0].new


def test_background_phrases_and_minimum_counts_are_filtered():
    scored = score_terms(Counter({"large language": 30, "rare thing": 2}), 100, Counter(), 800, Counter(), 5000,
                         background={"large language"}, min_count=3)
    assert scored == []


def test_boilerplate_list_covers_the_issue_examples():
    assert {"github com", "we propose", "results show", "remains underexplored", "findings highlight",
            "bridge this gap"} <= BOILERPLATE


@pytest.fixture(scope="module")
def real_weeks(fixtures):
    frames = []
    for path in sorted((fixtures / "hf-daily-api").glob("*.json.gz")):
        day = date.fromisoformat(path.name[:10])
        records = parse_daily_api(gzip.decompress(path.read_bytes()), digest_date=day,
                                  observed_at=datetime(2026, 5, 1, tzinfo=timezone.utc))
        frames += [(r.arxiv_id, day, r.title, r.abstract or "") for r in records]
    docs = (pl.DataFrame(frames, schema=["arxiv_id", "first_digest_date", "title", "abstract"], orient="row")
            .sort("first_digest_date").unique("arxiv_id", keep="first", maintain_order=True))
    return WeeklyTerms.from_frame(docs)


def iso_monday(year: int, week: int) -> date:
    return date.fromisocalendar(year, week, 1)


def test_deepseek_r1_rises_in_early_2025_and_grpo_in_may_2025_on_the_real_archive(real_weeks):
    def top(weeks, needle):
        hits = []
        for week in weeks:
            for horizon in ("week", "momentum"):
                terms = real_weeks.rising(week, horizon)[:10]
                print(week.isocalendar()[:2], horizon, [t.term for t in terms])
                hits += [(week, horizon) for t in terms if needle(t.term)]
        return hits
    r1 = top([iso_monday(2025, w) for w in range(6, 14)], lambda t: t in ("deepseek-r1", "deepseek r1", "r1"))
    grpo = top([iso_monday(2025, w) for w in range(18, 23)], lambda t: t == "grpo")
    assert r1 and grpo
