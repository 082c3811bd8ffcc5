"""The subscription lifecycle on the web against a real audience store and a real local SMTP server."""

from __future__ import annotations

import re
import sqlite3

import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

from tests.web.conftest import send, web_settings
from warehouse.audience import connect_audience
from warehouse.subscribers import Subscriber, add_subscribers, find_subscriber, subscribers, valid_subscriber
from web.app import create_app

ADA = "ada@example.org"


def client_for(settings, **kwargs) -> TestClient:
    return TestClient(create_app(settings), follow_redirects=False, **kwargs)


def form(client: TestClient, url: str) -> dict[str, str]:
    """The hidden fields of the first form on `url` (the CSRF token), the cookie kept by the client."""
    soup = BeautifulSoup(client.get(url).text, "html.parser")
    return {i["name"]: i["value"] for i in soup.select("form input[type=hidden]")}


def subscribe(client: TestClient, address: str = ADA, **fields: str) -> object:
    return client.post(
        "/subscribe", data=form(client, "/subscribe") | {"address": address, "cadence": "weekly"} | fields
    )


def confirmation_link(smtp, address: str = ADA) -> str:
    mails = [m for m in smtp.received if m.recipients == (address,)]
    assert len(mails) == 1
    text = mails[0].message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:8000(/confirm/[0-9a-f]{40})", text).group(1)


def confirmed(client: TestClient, smtp, address: str = ADA, **fields: str) -> str:
    """Subscribe `address` through the pages and follow its confirmation; the manage page's path."""
    assert subscribe(client, address, **fields).status_code == 200
    link = confirmation_link(smtp, address)
    answer = client.post(link, data=form(client, link))
    assert answer.status_code == 303
    return answer.headers["location"].split("?")[0]


def store_rows(data, sql: str) -> list[tuple]:
    with connect_audience(data / "audience.sqlite3") as con:
        return con.execute(sql).fetchall()


def test_double_opt_in_sends_one_link_and_nothing_else_until_it_is_followed(site_dir, smtp, built_site):
    settings = web_settings(site_dir, smtp)
    with client_for(settings) as client:
        response = subscribe(client, keywords="agents")
        assert response.status_code == 200 and "confirmation link is on its way" in response.text
        link = confirmation_link(smtp)
        with connect_audience(settings.audience_path) as store:
            assert subscribers(store) == []  # not a subscriber before the link is followed
        assert send(built_site, settings, "weekly", built_site[1][-1]).sent == 0
        page = client.get(link)  # a mail scanner following the link confirms nothing
        assert page.status_code == 200 and "Confirm my subscription" in page.text
        with connect_audience(settings.audience_path) as store:
            assert subscribers(store) == []
        answer = client.post(link, data=form(client, link))
        assert answer.status_code == 303 and answer.headers["location"].startswith("/manage/")
        with connect_audience(settings.audience_path) as store:
            (sub,) = subscribers(store)
        assert sub.address == ADA and sub.keywords == ("agents",) and sub.origin == "web"
        assert client.post(link, data=form(client, "/subscribe")).status_code == 404  # used once


def test_the_answer_never_says_whether_an_address_is_known(site_dir, smtp):
    settings = web_settings(site_dir, smtp)
    with connect_audience(settings.audience_path) as store:
        add_subscribers(store, [valid_subscriber(Subscriber("known@example.org"))])
    with client_for(settings) as client:
        known = subscribe(client, "known@example.org")
        unknown = subscribe(client, "new@example.org")
        again = subscribe(client, "new@example.org")  # over its limit: no email, the same answer

    def text(r):
        return (
            BeautifulSoup(r.text, "html.parser")
            .main.get_text(" ", strip=True)
            .replace("known@", "X@")
            .replace("new@", "X@")
        )

    assert known.status_code == unknown.status_code == again.status_code == 200
    assert text(known) == text(unknown) == text(again)


def test_a_second_request_within_the_window_sends_no_second_email_and_a_client_is_limited(site_dir, smtp):
    settings = web_settings(site_dir, smtp, web_requests_per_client=3)
    with client_for(settings) as client:
        subscribe(client)
        subscribe(client, "ADA@example.org")  # one mailbox whatever the case
        assert len([m for m in smtp.received if m.recipients[0].lower() == ADA]) == 1
        subscribe(client, "bob@example.org")
        refused = subscribe(client, "carol@example.org")
    assert refused.status_code == 429 and "try again in 60 minutes" in refused.text
    assert [m.recipients for m in smtp.received] == [(ADA,), ("bob@example.org",)]


def test_only_the_trusted_proxy_names_the_client(site_dir, smtp):
    settings = web_settings(site_dir, smtp, web_requests_per_client=1, web_trusted_proxy="127.0.0.9")
    # The test client's peer is "testclient": not the proxy, so a forged X-Forwarded-For changes nothing.
    with client_for(settings) as client:
        subscribe(client, "a1@example.org")
        forged = client.post(
            "/subscribe",
            data=form(client, "/subscribe") | {"address": "a2@example.org"},
            headers={"x-forwarded-for": "10.0.0.7"},
        )
    assert forged.status_code == 429
    with client_for(settings, client=("127.0.0.9", 5000)) as proxy:
        first = proxy.post(
            "/subscribe",
            data=form(proxy, "/subscribe") | {"address": "b1@example.org"},
            headers={"x-forwarded-for": "10.0.0.7"},
        )
        other = proxy.post(
            "/subscribe",
            data=form(proxy, "/subscribe") | {"address": "b2@example.org"},
            headers={"x-forwarded-for": "6.6.6.6, 10.0.0.8"},
        )  # the proxy's own entry is last
        same = proxy.post(
            "/subscribe",
            data=form(proxy, "/subscribe") | {"address": "b3@example.org"},
            headers={"x-forwarded-for": "10.0.0.7"},
        )
    assert (first.status_code, other.status_code, same.status_code) == (200, 200, 429)


@pytest.mark.parametrize("path", ["/subscribe", "/confirm/{token}", "/manage/{token}", "/unsubscribe/{token}"])
def test_every_form_without_its_csrf_token_is_refused(site_dir, smtp, path):
    settings = web_settings(site_dir, smtp)
    with client_for(settings) as client:
        manage = confirmed(client, smtp)
        token = manage.rsplit("/", 1)[1]
        subscribe(client, "second@example.org")
        url = path.format(token=token if "confirm" not in path else confirmation_link(smtp, "second@example.org")[9:])
        fields = {"address": "eve@example.org", "action": "unsubscribe", "cadence": "weekly"}
        missing = client.post(url, data=fields)
        wrong = client.post(url, data=fields | {"csrf": "0" * 32})
        stranger = TestClient(create_app(settings), follow_redirects=False).post(url, data=fields | {"csrf": "x"})
    assert missing.status_code == wrong.status_code == stranger.status_code == 403
    assert "reload the page" in missing.text
    with connect_audience(settings.audience_path) as store:
        assert [s.address for s in subscribers(store)] == [ADA]  # nobody unsubscribed, nobody added


def test_the_manage_page_changes_every_preference_pauses_resumes_and_unsubscribes(site_dir, smtp, built_site):
    settings = web_settings(site_dir, smtp)
    with client_for(settings) as client:
        manage = confirmed(client, smtp)
        fields = form(client, manage) | {
            "action": "save",
            "cadence": "daily",
            "keywords": "diffusion models, agents",
            "topics": "world models",
            "authors": "Ada Lovelace",
            "seeds": "2501.00001v2",
            "exclude_keywords": "survey",
            "exclude_authors": "Mallory",
            "max_papers": "7",
            "only_matches": "on",
            "name": "Ada",
        }
        assert "Saved." in client.post(manage, data=fields).text
        with connect_audience(settings.audience_path) as store:
            sub = find_subscriber(store, ADA)
        assert (sub.cadence, sub.keywords, sub.topics, sub.authors, sub.seeds) == (
            "daily",
            ("diffusion models", "agents"),
            ("world models",),
            ("Ada Lovelace",),
            ("2501.00001",),
        )
        assert (sub.exclude_keywords, sub.exclude_authors, sub.max_papers, sub.only_matches, sub.name) == (
            ("survey",),
            ("Mallory",),
            7,
            True,
            "Ada",
        )
        bad = client.post(manage, data=fields | {"max_papers": "1000"})
        assert bad.status_code == 400 and "max_papers must be 1 to 100" in bad.text
        assert "Paused" in client.post(manage, data=form(client, manage) | {"action": "pause"}).text
        assert send(built_site, settings, "daily", "2026-04-24").sent == 0  # paused: nothing sent
        assert "Resumed" in client.post(manage, data=form(client, manage) | {"action": "resume"}).text
        gone = client.post(manage, data=form(client, manage) | {"action": "unsubscribe"})
        assert "You are unsubscribed" in gone.text
        assert "You are unsubscribed" in client.get(manage).text
    with connect_audience(settings.audience_path) as store:
        assert subscribers(store) == []


def test_an_expired_or_unknown_manage_link_is_refused(site_dir, smtp):
    settings = web_settings(site_dir, smtp)
    with client_for(settings) as client:
        manage = confirmed(client, smtp)
        with sqlite3.connect(settings.audience_path) as raw:  # the token was issued long ago
            raw.execute("UPDATE tokens SET created_at = '2020-01-01T00:00:00'")
        assert client.get(manage).status_code == 404
        assert client.get("/manage/" + "0" * 40).status_code == 404
        assert client.get("/manage/not-a-token").status_code == 404


def test_tokens_are_kept_only_as_hashes_and_a_hash_opens_nothing(site_dir, smtp):
    settings = web_settings(site_dir, smtp)
    with client_for(settings) as client:
        manage = confirmed(client, smtp)
        token = manage.rsplit("/", 1)[1]
        (stored,) = store_rows(site_dir, "SELECT token_hash FROM tokens")
        assert token.encode() not in settings.audience_path.read_bytes()
        assert stored[0] != token and len(stored[0]) == 64
        assert client.get(f"/manage/{stored[0][:40]}").status_code == 404
        assert client.get(f"/unsubscribe/{stored[0][:40]}").status_code == 404


def test_one_click_unsubscribe_is_a_post_without_csrf_and_a_get_only_asks(site_dir, smtp):
    settings = web_settings(site_dir, smtp)
    with client_for(settings) as client:
        token = confirmed(client, smtp).rsplit("/", 1)[1]
        asked = client.get(f"/unsubscribe/{token}")
        assert asked.status_code == 200 and "<form" in asked.text
        with connect_audience(settings.audience_path) as store:
            assert [s.address for s in subscribers(store)] == [ADA]  # a GET unsubscribes nobody
    provider = TestClient(create_app(settings))  # a mail provider: no cookie, no CSRF token
    answer = provider.post(
        f"/unsubscribe/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    with connect_audience(settings.audience_path) as store:
        assert subscribers(store) == []


def test_oversize_forms_and_fields_are_refused_with_a_clear_message(site_dir, smtp):
    settings = web_settings(site_dir, smtp)
    with client_for(settings) as client:
        fields = form(client, "/subscribe") | {"address": ADA}
        huge = client.post("/subscribe", data=fields | {"keywords": "x" * 20_000})
        assert huge.status_code == 413 and "too large" in huge.text
        long = client.post("/subscribe", data=fields | {"keywords": "x" * 2_500})
        assert long.status_code == 400 and "longer than 2000 characters" in long.text
        many = client.post("/subscribe", data=fields | {"keywords": ",".join(f"k{i}" for i in range(80))})
        assert many.status_code == 400 and "at most 50" in many.text
        bad = client.post("/subscribe", data=fields | {"address": "ada@example.org\r\nBcc: eve@evil.test"})
        assert bad.status_code == 400 and "line break" in bad.text
    assert smtp.received == []


def test_subscriptions_are_closed_without_email_settings(site_dir):
    with client_for(web_settings(site_dir)) as client:
        response = subscribe(client)
    assert response.status_code == 503 and "cannot send email" in response.text


def test_no_address_token_or_log_row_reaches_the_snapshot_the_search_index_or_sql(site_dir, smtp, built_site):
    from typer.testing import CliRunner

    from flows.run import publish_snapshot
    from papertrend.cli import app

    settings = web_settings(site_dir, smtp)
    planted = "planted.reader@example.org"
    with client_for(settings) as client:
        manage = confirmed(client, smtp, planted, keywords="agents")
        token = manage.rsplit("/", 1)[1]
        subscribe(client, "pending.reader@example.org")  # a signup waiting for its confirmation
    assert send(built_site, settings, "weekly", built_site[1][-1]).sent == 1
    publish_snapshot(settings, recount=True)
    for name in ("warehouse.duckdb", "warehouse.snapshot.duckdb", "search.sqlite3"):
        data = (site_dir / name).read_bytes()
        for needle in (planted, "pending.reader", token):
            assert needle.encode() not in data, (name, needle)
    for table in ("subscribers", "tokens", "email_log", "signups", "signup_attempts", "sent_papers"):
        result = CliRunner().invoke(app, ["sql", f"SELECT * FROM {table}", "--data-dir", str(site_dir)])
        assert result.exit_code != 0 and "does not exist" in result.output + result.stderr, table
    query = "SELECT count FROM audience_counts WHERE kind = 'subscribers' AND status = 'active'"
    counts = CliRunner().invoke(app, ["sql", query, "--format", "csv", "--data-dir", str(site_dir)])
    assert counts.exit_code == 0 and counts.stdout.split() == ["count", "1"]  # what analysts may know
