"""A digest as a message: numbers read as the report prints them."""

from __future__ import annotations

import math
from email import message_from_bytes, policy

from mail.digest import EmailTopic, Period
from mail.message import Composer, Sender
from warehouse.subscribers import Subscriber


def _parts(data: bytes) -> tuple[str, str]:
    message = message_from_bytes(data, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_growth_without_a_baseline_or_unknown_reads_as_in_the_report():
    topics = [
        EmailTopic("agents", ("agents",), "week", 12, math.inf, None),
        EmailTopic("video", ("video",), "week", 9, math.nan, None),
        EmailTopic("retrieval", ("retrieval",), "week", 7, 2.54, None),
    ]
    period = Period("weekly", "2026-W17", [], topics)
    composer = Composer(period, Sender("papertrend@example.org"))
    data = composer.compose_for(Subscriber("ada@example.org", topics=("agents",)), "t" * 40)
    assert data is not None
    text, html = _parts(data)
    # The report's growth column says "new" and "–"; the email's prose says the same in words.
    for part in (text, html):
        assert "inf×" not in part and "nan×" not in part
        assert "none in the weeks before" in part and "no share to compare with" in part
        assert "2.5× their share of the weeks before" in part
    assert "Rising: agents: 12 papers (this week), none in the weeks before" in text  # the reader's own topic too
