"""What the emails link to once the web application runs, and what they never send twice or at all."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from reports.weeks import week_start
from tests.factories import HOSTILE_ID
from tests.web.conftest import send, web_settings
from warehouse.audience import connect_audience
from warehouse.subscribers import Subscriber, add_subscribers, subscribers, valid_subscriber
from web.app import create_app

ADA = "ada@example.org"
PAPER = re.compile(r"huggingface\.co/papers/(\d{4}\.\d{5})")


def add(settings, **fields) -> None:
    with connect_audience(settings.audience_path) as store:
        add_subscribers(store, [valid_subscriber(Subscriber(ADA, **fields))])


def listed(message) -> set[str]:
    """The papers a message lists (story examples aside: they illustrate the story)."""
    html = message.get_body(preferencelist=("html",)).get_content()
    before, _, rest = html.partition("What rose")
    return set(PAPER.findall(before + (rest.partition("Top papers")[2] if rest else "")))


def test_the_email_links_to_the_web_manage_and_one_click_unsubscribe_pages(site_dir, smtp, built_site):
    settings = web_settings(site_dir, smtp)
    add(settings)
    week = built_site[1][-1]
    assert send(built_site, settings, "weekly", week).sent == 1
    message = smtp.received[0].message
    unsubscribe = re.fullmatch(
        r"<(http://127\.0\.0\.1:8000/unsubscribe/([0-9a-f]{40}))>", message["List-Unsubscribe"].split(",")[-1].strip()
    )
    assert unsubscribe and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()
    manage = re.search(r"http://127\.0\.0\.1:8000(/manage/[0-9a-f]{40})", text).group(1)
    assert f"http://127.0.0.1:8000/weeks/{week}" in text
    with TestClient(create_app(settings)) as client:
        assert client.get(manage).status_code == 200
        token = unsubscribe.group(2)
        answer = client.post(
            f"/unsubscribe/{token}",
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200
    next_week = week_start(week) + timedelta(weeks=1)
    assert send(built_site, settings, "weekly", week, resend=True).sent == 0
    assert (
        send(built_site, settings, "weekly", f"{next_week.isocalendar()[0]}-W{next_week.isocalendar()[1]:02d}").sent
        == 0
    )
    assert len(smtp.received) == 1


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_a_paper_sent_once_is_never_sent_again_daily_then_weekly_and_week_after_week(site_dir, smtp, built_site):
    settings = web_settings(site_dir, smtp)
    older, latest = built_site[1]
    add(settings, cadence="daily")
    day = (week_start(latest) + timedelta(days=1)).isoformat()
    assert send(built_site, settings, "daily", day).sent == 1
    daily = listed(smtp.received[-1].message)
    with connect_audience(settings.audience_path) as store:
        (sub,) = subscribers(store)
        add_subscribers(store, [Subscriber(ADA, cadence="weekly", id=sub.id)])  # now weekly
    assert send(built_site, settings, "weekly", older).sent == 1
    first_week = listed(smtp.received[-1].message)
    with connect_audience(settings.audience_path) as store:  # a new reader: what the week would list
        add_subscribers(store, [valid_subscriber(Subscriber("bob@example.org"))])
    assert send(built_site, settings, "weekly", latest).sent == 2
    second_week = {tuple(m.recipients): listed(m.message) for m in smtp.received[-2:]}
    ada, bob = second_week[(ADA,)], second_week[("bob@example.org",)]
    assert daily and first_week and ada
    assert bob & daily  # the week's top papers include the day's: the rule has something to leave out
    assert not daily & ada and not first_week & ada
    assert send(built_site, settings, "weekly", latest, resend=True, to=sub.id).sent == 1  # a resend: the same papers
    assert listed(smtp.received[-1].message) == ada


def test_negative_keywords_and_authors_exclude_papers_and_followed_authors_match(site_dir, smtp, built_site):
    latest = built_site[1][-1]
    settings = web_settings(site_dir, smtp)
    readers = {
        "plain@example.org": {},
        "nokeyword@example.org": {"exclude_keywords": ("zyxquorp",)},
        "noauthor@example.org": {"exclude_authors": ("mallory",)},
        "follows@example.org": {"authors": ("Mallory",), "max_papers": 3},
    }
    with connect_audience(settings.audience_path) as store:
        add_subscribers(store, [valid_subscriber(Subscriber(a, **f)) for a, f in readers.items()])
    assert send(built_site, settings, "weekly", latest).sent == 4
    got = {m.recipients[0]: m.message for m in smtp.received}
    assert HOSTILE_ID in listed(got["plain@example.org"])  # the week's most upvoted paper
    assert HOSTILE_ID not in listed(got["nokeyword@example.org"])
    assert HOSTILE_ID not in listed(got["noauthor@example.org"])
    follows = got["follows@example.org"].get_body(preferencelist=("plain",)).get_content()
    assert HOSTILE_ID in listed(got["follows@example.org"]) and "by Mallory" in follows
