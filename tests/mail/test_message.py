"""A digest as a message: numbers read as the report prints them, stories told as the report tells them."""

from __future__ import annotations

import math
import re
from email import message_from_bytes, policy

from mail.digest import EmailStory, Period, personal_digest
from mail.message import Composer, Sender, subject
from warehouse.subscribers import Subscriber

EXAMPLE = ("Agents that plan", "https://huggingface.co/papers/2505.00001")


def _parts(data: bytes) -> tuple[str, str, str]:
    message = message_from_bytes(data, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return str(message["Subject"]), text, html


def _stories() -> list[EmailStory]:
    return [
        EmailStory(
            "agents", ("agents", "agent harness"), "this week · new this week", 12, 0, math.inf, None, (EXAMPLE,)
        ),
        EmailStory("video", ("video",), "this week", 9, 3, math.nan, None),
        EmailStory("retrieval", ("retrieval",), "building for 4 weeks · continuing since 2026-W14", 7, 2.5, 2.54, None),
    ]


def test_the_trend_section_tells_the_reports_stories_with_their_figures_and_example_papers():
    period = Period("weekly", "2026-W17", [], _stories())
    data = Composer(period, Sender("papertrend@example.org")).compose_for(Subscriber("ada@example.org"), "t" * 40)
    assert data is not None
    title, text, html = _parts(data)
    assert title == "papertrend weekly, 2026-W17: rising — agents"
    # Growth without a baseline reads "new", unknown "share unknown": never inf× or nan×, as in the report.
    for part in (text, re.sub(r"<[^>]+>", "", html)):
        assert "inf×" not in part and "nan×" not in part
        assert "12 papers a week, against 0 before: new" in part
        assert "9 papers a week, against 3 before: share unknown" in part
        assert "7 papers a week, against 2.5 before: 2.5× its usual share" in part
        assert "building for 4 weeks · continuing since 2026-W14" in part
        assert "Agents that plan" in part and "also agent harness" in part
    assert '<a href="https://huggingface.co/papers/2505.00001"' in html
    assert "- Agents that plan https://huggingface.co/papers/2505.00001" in text


def test_a_readers_own_story_names_the_subject_and_a_keyword_that_found_nothing_gets_one_line():
    period = Period("weekly", "2026-W17", [], _stories())
    reader = Subscriber("ada@example.org", keywords=("retrieval", "protein folding"), topics=("quantum",))
    digest = personal_digest(period, reader)
    assert [s.label for s in digest.matched_stories] == ["retrieval"]
    assert digest.unmatched == ["quantum", "protein folding"]
    assert subject(period, digest) == "papertrend weekly, 2026-W17: rising — retrieval"
    data = Composer(period, Sender("papertrend@example.org")).compose_for(reader, "t" * 40)
    assert data is not None
    _, text, html = _parts(data)
    for part in (text, html):
        assert "Nothing this week for: quantum, protein folding." in part
        assert "Rising: " in part and "retrieval" in part


def test_a_keyword_whose_papers_were_shown_for_another_keyword_is_not_called_unmatched():
    from mail.digest import EmailPaper, words

    paper = EmailPaper(
        "2604.00001", "Reasoning budget for test-time compute", "", "", 3, None, None, None,
        words("Reasoning budget for test-time compute"),
    )  # fmt: skip
    period = Period("weekly", "2026-W17", [paper], [])
    digest = personal_digest(period, Subscriber("ada@example.org", keywords=("test-time compute", "reasoning budget")))
    assert [why for _, why in digest.matched] == ["test-time compute"] and digest.unmatched == []


def test_a_week_without_stories_says_so_in_the_subject_and_the_section():
    period = Period("weekly", "2026-W17", [], [])
    data = Composer(period, Sender("papertrend@example.org")).compose_for(Subscriber("ada@example.org"), "t" * 40)
    assert data is not None
    title, text, _ = _parts(data)
    assert title == "papertrend weekly, 2026-W17: nothing rose clearly" and "Nothing rose clearly this week." in text
