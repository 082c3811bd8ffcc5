"""Hostile paper data end to end: a replayed corpus, the real backfill and weekly-report flows, a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from digest_replay.server import ReplayServer
from digest_replay.smtp_server import Behaviour, LocalSmtpServer
from digest_replay.synthetic.hf import generate_corpus
from flows.ingest import backfill
from flows.settings import Settings
from flows.weekly import weekly_report
from papertrend.demo import replay_overrides
from reports.weeks import last_complete_week_in_data, week_start
from tests.factories import add_hf_papers, run_flow
from warehouse.audience import connect_audience
from warehouse.subscribers import Subscriber, add_subscribers, valid_subscriber

SENTINEL = "s3ntinel-Pa55word-e2e-91c"
HOSTILE_TITLE = "Zorblax\r\nBcc: eve@evil.test =?UTF-8?Q?=0A?=Bcc: x\u2028<script>alert(1)</script>\x00 Kernels"
HOSTILE = [
    {
        "id": "2602.99001",
        "title": HOSTILE_TITLE,
        "summary": 'Zorblax <img src=x onerror=alert(1)> <a href="javascript:alert(1)">click</a> data:text/html,x.',
        "githubRepo": 'https://evil.test/"><script>alert(1)</script>',
        "ai_summary": "<script>alert('summary')</script> zorblax\r\nTo: eve@evil.test",
        "projectPage": "javascript:alert(1)",
    },
    {
        "id": "2602.99002",
        "title": "Zorblax onerror=alert(1) \u2029 data:text/html;base64,PHNjcmlwdD4=",
        "summary": "Zorblax, again.",
        "githubRepo": "javascript:alert(1)",
    },
]
ALLOWED_HOSTS = {"huggingface.co", "arxiv.org", "github.com"}


@pytest.mark.slow
def test_hostile_paper_data_never_becomes_a_header_a_recipient_a_script_or_a_link(tmp_path, monkeypatch):
    summary = generate_corpus(tmp_path / "corpus", days=30, papers_per_day=15, seed=3, arxiv=False)
    week = last_complete_week_in_data(summary.last_date)
    add_hf_papers(tmp_path / "corpus", week_start(week) + timedelta(days=1), HOSTILE)
    settings = Settings.load(data_dir=tmp_path / "data")
    with ReplayServer(tmp_path / "corpus") as server:
        run_flow(replay_overrides(settings, server.base_url), backfill, summary.first_date, summary.last_date)
    with connect_audience(settings.audience_path) as store:
        add_subscribers(
            store,
            [
                valid_subscriber(Subscriber("ada@example.org", "Ada\r\nBcc: eve@evil.test", keywords=("zorblax",))),
                valid_subscriber(Subscriber("bob@example.org", keywords=("zorblax",))),
            ],
        )
    monkeypatch.setenv("PAPERTREND_EMAIL_SMTP_PASSWORD", SENTINEL)
    with LocalSmtpServer(Behaviour(login=("papertrend", SENTINEL))) as smtp:
        email = {
            "email_smtp_host": "127.0.0.1",
            "email_smtp_port": smtp.port,
            "email_smtp_security": "none",
            "email_smtp_user": "papertrend",
            "email_from_address": "papertrend@example.org",
        }
        run_flow(replay_overrides(settings, "http://127.0.0.1:9") | email, weekly_report, week)

    assert smtp.handler.rcpt_commands == 2 and sorted(r.recipients for r in smtp.received) == [
        ("ada@example.org",),
        ("bob@example.org",),
    ]
    for item in smtp.received:
        head = item.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
        names = [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line and not line[0].isspace()]
        assert "bcc" not in names and names.count("to") == 1 and names.count("subject") == 1
        msg = item.message
        assert [a.addr_spec for a in msg["To"].addresses] == list(item.recipients)  # a name is only a name
        assert "\n" not in str(msg["Subject"])
        html = BeautifulSoup(msg.get_body(preferencelist=("html",)).get_content(), "html.parser")
        assert html.find_all(["script", "iframe", "form", "object", "embed"]) == []
        assert [a for t in html.find_all(True) for a in t.attrs if a.lower().startswith("on")] == []
        for link in html.find_all("a"):
            parts = urlsplit(link["href"])
            assert parts.scheme in ("https", "mailto"), link["href"]
            assert parts.scheme == "mailto" or parts.hostname in ALLOWED_HOSTS, link["href"]
        assert all(img["src"].startswith("cid:") for img in html.find_all("img"))
        assert "evil.test" not in " ".join(a["href"] for a in html.find_all("a"))
        text = msg.get_body(preferencelist=("plain",)).get_content()
        assert "* Zorblax Bcc: eve@evil.test" in text  # readable, on one line, shown as text
        assert "<script>alert(1)</script>" in html.get_text()  # escaped into text, not markup

    # The password went through real AUTH and is nowhere we keep things.
    assert smtp.handler.logins and set(smtp.handler.logins) == {"papertrend"}
    from prefect.settings import get_current_settings

    database = Path(urlsplit(get_current_settings().server.database.connection_url.get_secret_value()).path)
    kept = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    kept += [p for p in database.parent.glob(database.name + "*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in kept) and any(p.name.startswith(database.name) for p in kept)
    assert [p for p in kept if SENTINEL.encode() in p.read_bytes()] == []
