"""Email delivery against a real local SMTP server (aiosmtpd), a real DuckDB warehouse and a real audience store."""

from __future__ import annotations

import logging
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from digest_replay.smtp_server import Behaviour, LocalSmtpServer
from digest_replay.synthetic.hf import generate_corpus
from flows.email import deliver
from flows.settings import Settings, SettingsInvalid
from mail.mailer import SmtpUnavailable
from mail.message import HTML_BUDGET, MESSAGE_BUDGET, message_id
from reports.trends import build_week_report
from reports.weeks import iso_week, week_start
from tests.factories import add_hf_papers, load_corpus, self_signed_certificate
from warehouse import email_log
from warehouse.audience import connect_audience
from warehouse.db import connect
from warehouse.subscribers import Subscriber, add_subscribers, find_subscriber, valid_subscriber

FROM = "papertrend@example.org"
SENTINEL = "s3ntinel-Pa55word-7f3a"
SEED, TWIN = "2501.00001", "2501.00002"  # planted: a seed paper from before and its twin in the week


@pytest.fixture(scope="module")
def corpus_warehouse(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("email-corpus")
    summary = generate_corpus(root, days=45, papers_per_day=20, seed=5, arxiv=False)
    week = iso_week(summary.last_date)
    monday = week_start(week)
    if summary.last_date.weekday() < 4:  # the last complete week ends on a Friday
        week = iso_week(monday - timedelta(weeks=1))
        monday = week_start(week)
    twin_words = "zorblax lattice routing for quokka memory kernels"
    add_hf_papers(
        root,
        monday - timedelta(weeks=3),
        [{"id": SEED, "title": "Zorblax Lattice Routing", "summary": f"We study {twin_words}. It works."}],
    )
    add_hf_papers(
        root,
        monday + timedelta(days=1),
        [{"id": TWIN, "title": "Faster Quokka Memory Kernels", "summary": f"Building on {twin_words}, we go on."}],
    )
    path = load_corpus(root, root / "warehouse.duckdb")
    with connect(path, read_only=True) as con:
        report = build_week_report(con, monday)[0]  # once: every test's deliver() is handed it
    return path, week, report


@pytest.fixture
def data_dir(tmp_path: Path, corpus_warehouse) -> Path:
    shutil.copy(corpus_warehouse[0], tmp_path / "warehouse.duckdb")
    return tmp_path


def subscribe(data_dir: Path, *subs: Subscriber) -> None:
    with connect_audience(data_dir / "audience.sqlite3") as store:
        add_subscribers(store, [valid_subscriber(s) for s in subs])


def subscriber_id(data_dir: Path, address: str) -> int:
    with connect_audience(data_dir / "audience.sqlite3") as store:
        found = find_subscriber(store, address)
    assert found is not None and found.id is not None
    return found.id


def settings_for(data_dir: Path, smtp: LocalSmtpServer, **extra) -> Settings:
    defaults = {"email_smtp_security": "none", "email_retry_backoff": 0.01}
    return Settings(
        data_dir=data_dir,
        email_smtp_host="127.0.0.1",
        email_smtp_port=smtp.port,
        email_from_address=FROM,
        **(defaults | extra),
    )


def log_rows(data_dir: Path, week: str) -> dict[str, email_log.LogEntry]:
    with connect_audience(data_dir / "audience.sqlite3") as store:
        return email_log.log_entries(store, week)


def your_topics(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return text.split("YOUR TOPICS", 1)[1].split("RISING TOPICS", 1)[0] if "YOUR TOPICS" in text else ""


def test_each_subscriber_gets_one_well_formed_message_about_their_own_topics(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(
        data_dir,
        Subscriber("ada@example.org", "Ada", keywords=("retrieval",)),
        Subscriber("bob@example.org", "Bob", keywords=("diffusion models",)),
    )
    with LocalSmtpServer() as smtp:
        outcome = deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    assert outcome.sent == 2 and outcome.failed == []
    assert sorted(r.recipients for r in smtp.received) == [("ada@example.org",), ("bob@example.org",)]
    sections = {}
    for item in smtp.received:
        msg = item.message
        address = item.recipients[0]
        assert msg["To"].addresses[0].addr_spec == address and len(msg.get_all("To")) == 1
        assert msg["Subject"].startswith(f"papertrend weekly, {week}: ")
        assert msg["Message-ID"] == message_id(week, address, "example.org")
        raw_headers = item.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
        # As clients read it: a URL as written, never an encoded word.
        assert "\r\nList-Unsubscribe: <mailto:papertrend@example.org?subject=unsubscribe%20" in raw_headers
        assert msg["Auto-Submitted"] == "auto-generated" and msg["List-Id"]
        assert msg.get_content_type() == "multipart/alternative"
        text, related = msg.get_payload()
        assert text.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
        html = related.get_payload()[0].get_content()
        images = {p["Content-ID"].strip("<>") for p in related.get_payload()[1:] if p.get_content_maintype() == "image"}
        cids = set(re.findall(r'src="cid:([^"]+)"', html))
        assert cids and cids <= images  # every cid: resolves to an image part of this message
        assert len(html.encode()) <= HTML_BUDGET and len(item.data) <= MESSAGE_BUDGET
        sections[address] = your_topics(msg)
    assert "[retrieval]" in sections["ada@example.org"] and "[diffusion models]" not in sections["ada@example.org"]
    assert "[diffusion models]" in sections["bob@example.org"] and "[retrieval]" not in sections["bob@example.org"]
    assert {e.status for e in log_rows(data_dir, week).values()} == {"sent"}


def test_a_second_run_sends_nothing_and_resend_sends_again_with_the_same_message_id(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"), Subscriber("bob@example.org"))
    with LocalSmtpServer() as smtp:
        settings = settings_for(data_dir, smtp)
        deliver(settings, "weekly", week, report=corpus_warehouse[2])
        again = deliver(settings, "weekly", week, report=corpus_warehouse[2])
        assert again.sent == 0 and again.already_sent == 2 and len(smtp.received) == 2
        resent = deliver(
            settings,
            "weekly",
            week,
            report=corpus_warehouse[2],
            resend=True,
            to=subscriber_id(data_dir, "ada@example.org"),
        )
    assert resent.sent == 1 and len(smtp.received) == 3
    ids = [r.message["Message-ID"] for r in smtp.received if r.recipients == ("ada@example.org",)]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert log_rows(data_dir, week)["ada@example.org"].attempts == 2


def test_seed_papers_rank_their_planted_twin_first(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org", seeds=(SEED,)))
    with LocalSmtpServer() as smtp:
        deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    first = your_topics(smtp.received[0].message).strip().splitlines()[0]
    assert first == "* Faster Quokka Memory Kernels"
    assert "[similar to “Zorblax Lattice Routing”]" in your_topics(smtp.received[0].message)


def test_a_seed_paper_of_the_week_is_not_sent_back_to_its_reader(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org", seeds=(TWIN,)))
    with LocalSmtpServer() as smtp:
        deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    text = smtp.received[0].message.get_body(preferencelist=("plain",)).get_content()
    assert "Faster Quokka Memory Kernels" not in text


def test_only_matches_with_no_match_sends_nothing_and_is_recorded_skipped(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org", keywords=("no such term anywhere",), only_matches=True))
    with LocalSmtpServer() as smtp:
        outcome = deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    assert smtp.received == [] and outcome.skipped == 1
    assert log_rows(data_dir, week)["ada@example.org"].status == "skipped"


def test_a_451_then_250_delivers_exactly_one_message(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"))
    with LocalSmtpServer(Behaviour(defer_first=1)) as smtp:
        outcome = deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    assert outcome.sent == 1 and len(smtp.received) == 1 and smtp.handler.deferred == 1
    assert log_rows(data_dir, week)["ada@example.org"].last_reply.startswith("250")


def test_a_550_for_one_recipient_is_recorded_failed_and_the_others_are_delivered(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, *[Subscriber(f"user{n}@example.org") for n in range(3)])
    with LocalSmtpServer(Behaviour(refuse={"user1@example.org"})) as smtp:
        settings = settings_for(data_dir, smtp)
        outcome = deliver(settings, "weekly", week, report=corpus_warehouse[2])
        assert [a for a, _ in outcome.failed] == ["user1@example.org"] and outcome.sent == 2
        rows = log_rows(data_dir, week)
        assert rows["user1@example.org"].status == "failed" and rows["user1@example.org"].last_reply.startswith("550")
        again = deliver(settings, "weekly", week, report=corpus_warehouse[2])  # permanent: not retried without --resend
    assert again.sent == 0 and again.failed == [] and len(smtp.received) == 2


def test_a_connection_dropped_mid_batch_is_resumed_without_a_duplicate(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, *[Subscriber(f"user{n}@example.org") for n in range(5)])
    with LocalSmtpServer(Behaviour(drop_after=2)) as smtp:
        outcome = deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    recipients = [r.recipients[0] for r in smtp.received]
    assert outcome.sent == 5 and sorted(recipients) == sorted(set(recipients)) and len(recipients) == 5


def test_a_message_left_pending_by_a_crash_is_sent_again_with_its_message_id(data_dir, corpus_warehouse):
    # The state a crash between the server's 250 and our log row leaves: at most this one duplicate.
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"), Subscriber("bob@example.org"))
    mid = message_id(week, "ada@example.org", "example.org")
    ada, bob = subscriber_id(data_dir, "ada@example.org"), subscriber_id(data_dir, "bob@example.org")
    with connect_audience(data_dir / "audience.sqlite3") as store:
        email_log.claim(store, week, [email_log.Claim(ada, mid)])
        email_log.mark_done(store, week, bob, "sent", "250 ok", message_id(week, "bob@example.org", "x"))
    with LocalSmtpServer() as smtp:
        outcome = deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    assert outcome.sent == 1 and [r.message["Message-ID"] for r in smtp.received] == [mid]


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_the_smtp_password_is_used_for_login_and_appears_nowhere(data_dir, corpus_warehouse, monkeypatch, caplog):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"))
    monkeypatch.setenv("PAPERTREND_EMAIL_SMTP_PASSWORD", SENTINEL)
    caplog.set_level(logging.DEBUG)
    with LocalSmtpServer(Behaviour(login=("papertrend", SENTINEL))) as smtp:
        settings = settings_for(data_dir, smtp, email_smtp_user="papertrend", email_smtp_timeout=2.0)
        assert SENTINEL not in repr(settings)
        outcome = deliver(settings, "weekly", week, report=corpus_warehouse[2])
        deliver(settings, "weekly", week, report=corpus_warehouse[2], dry_run=True, outbox=data_dir / "outbox")
        monkeypatch.setenv("PAPERTREND_EMAIL_SMTP_PASSWORD", SENTINEL + "-wrong")
        with pytest.raises(SmtpUnavailable) as refused:
            deliver(settings, "weekly", week, report=corpus_warehouse[2], resend=True)
    assert outcome.sent == 1 and smtp.handler.logins == ["papertrend"]
    assert SENTINEL not in str(refused.value)
    assert SENTINEL not in caplog.text
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".eml" for p in files) and any(p.suffix == ".duckdb" for p in files)
    assert [p for p in files if SENTINEL.encode() in p.read_bytes()] == []


def test_a_dry_run_writes_one_eml_per_recipient_and_sends_nothing(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"), Subscriber("bob@example.org"))
    outcome = deliver(
        Settings(data_dir=data_dir), "weekly", week, report=corpus_warehouse[2], dry_run=True, outbox=data_dir / "out"
    )
    assert sorted(p.name for p in outcome.written) == ["ada@example.org.eml", "bob@example.org.eml"]
    assert log_rows(data_dir, week) == {}
    with pytest.raises(SettingsInvalid, match="smtp_host"):
        deliver(Settings(data_dir=data_dir), "weekly", week, report=corpus_warehouse[2])


def test_max_papers_is_honoured(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org", keywords=("retrieval",), max_papers=4))
    with LocalSmtpServer() as smtp:
        deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    text = smtp.received[0].message.get_body(preferencelist=("plain",)).get_content()
    before_trending = text.split("GAINING UPVOTES")[0]
    assert len(re.findall(r"^\* ", before_trending, re.M)) == 4


def test_daily_subscribers_get_the_days_papers_in_hf_order(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    day = (week_start(week) + timedelta(days=2)).isoformat()
    subscribe(data_dir, Subscriber("ada@example.org", cadence="daily", max_papers=3), Subscriber("bob@example.org"))
    with connect(data_dir / "warehouse.duckdb") as con:
        expected = [
            t
            for (t,) in con.execute(
                "SELECT p.title FROM sightings s JOIN papers p USING (arxiv_id) "
                "WHERE s.source = 'hf' AND s.digest_date = ? ORDER BY s.rank LIMIT 3",
                [day],
            ).fetchall()
        ]
    with LocalSmtpServer() as smtp:
        outcome = deliver(settings_for(data_dir, smtp), "daily", day)
    assert outcome.sent == 1 and smtp.received[0].recipients == ("ada@example.org",)
    msg = smtp.received[0].message
    assert msg["Subject"].startswith(f"papertrend daily, {day}: ")
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert re.findall(r"^\* (.+?)\r?$", text, re.M) == expected
    html = BeautifulSoup(msg.get_body(preferencelist=("html",)).get_content(), "html.parser")
    assert [a.get_text() for a in html.select("div > a") if a.get_text() not in ("HF", "arXiv", "GitHub")] == expected


def test_an_https_unsubscribe_endpoint_adds_one_click_unsubscribe(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"))
    extra = {"email_unsubscribe_url": "https://papers.example.org/unsubscribe"}
    with LocalSmtpServer() as smtp:
        deliver(settings_for(data_dir, smtp, **extra), "weekly", week, report=corpus_warehouse[2])
    msg = smtp.received[0].message
    token = re.search(r"unsubscribe\?token=([0-9a-f]{40})>$", msg["List-Unsubscribe"]).group(1)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = BeautifulSoup(msg.get_body(preferencelist=("html",)).get_content(), "html.parser")
    assert f"https://papers.example.org/unsubscribe?token={token}" in [a["href"] for a in html.find_all("a")]
    with connect_audience(data_dir / "audience.sqlite3") as store:
        assert find_subscriber(store, token).address == "ada@example.org"  # the link works


@pytest.mark.slow
def test_the_email_command_exits_1_listing_the_recipients_not_delivered(data_dir, corpus_warehouse):
    from typer.testing import CliRunner

    from papertrend.cli import app

    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"), Subscriber("bob@example.org"))
    with LocalSmtpServer(Behaviour(refuse={"bob@example.org"})) as smtp:
        env = {
            "PAPERTREND_EMAIL_SMTP_HOST": "127.0.0.1",
            "PAPERTREND_EMAIL_SMTP_PORT": str(smtp.port),
            "PAPERTREND_EMAIL_SMTP_SECURITY": "none",
            "PAPERTREND_EMAIL_FROM_ADDRESS": FROM,
        }
        result = CliRunner().invoke(app, ["email", "--week", week, "--data-dir", str(data_dir)], env=env)
    assert result.exit_code == 1, result.output
    assert f"{week}: sent=1 skipped=0 already_sent=0 failed=1" in result.stdout, result.stderr
    assert "bob@example.org: 550" in result.stderr and "not delivered" in result.stderr


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_relays_get_the_login_only_over_a_verified_connection(data_dir, corpus_warehouse, tmp_path, security):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"))
    cert, key = self_signed_certificate(tmp_path)
    behaviour = Behaviour(login=("papertrend", SENTINEL), tls=(cert, key), implicit_tls=security == "tls")
    with LocalSmtpServer(behaviour) as smtp:
        base = {"email_smtp_security": security, "email_smtp_user": "papertrend", "email_smtp_timeout": 5.0}
        untrusted = settings_for(data_dir, smtp, **base)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PAPERTREND_EMAIL_SMTP_PASSWORD", SENTINEL)
            with pytest.raises(SmtpUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
                deliver(untrusted, "weekly", week, report=corpus_warehouse[2])
            assert smtp.handler.logins == []  # no password went to a relay we could not verify
            outcome = deliver(
                settings_for(data_dir, smtp, **base, email_smtp_ca_file=cert),
                "weekly",
                week,
                report=corpus_warehouse[2],
            )
    assert outcome.sent == 1 and smtp.handler.logins == ["papertrend"] and len(smtp.received) == 1


@pytest.mark.slow
def test_a_relay_that_answers_data_too_late_gets_the_message_once_and_it_stays_due(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"))
    with LocalSmtpServer(Behaviour(slow_data=2.0)) as smtp:
        outcome = deliver(
            settings_for(data_dir, smtp, email_smtp_timeout=0.5), "weekly", week, report=corpus_warehouse[2]
        )
    assert len(smtp.received) == 1  # not sent again in the run: the relay may have queued it
    assert outcome.deferred == 1 and "handed over" in outcome.failed[0][1]
    assert log_rows(data_dir, week)["ada@example.org"].status == "pending"  # the documented one duplicate


def test_a_relay_refusing_our_sender_stops_the_batch_and_leaves_everyone_due(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, Subscriber("ada@example.org"), Subscriber("bob@example.org"))
    with LocalSmtpServer(Behaviour(refuse_sender=True)) as smtp, pytest.raises(SmtpUnavailable, match="553"):
        deliver(settings_for(data_dir, smtp), "weekly", week, report=corpus_warehouse[2])
    # Both were claimed (pending, one attempt) before the first was refused; neither is marked failed or sent.
    rows = {address: (e.status, e.attempts) for address, e in log_rows(data_dir, week).items()}
    assert rows == {"ada@example.org": ("pending", 1), "bob@example.org": ("pending", 1)}
    assert smtp.received == []


def test_a_relay_deferring_everyone_stops_after_five_and_keeps_the_rest_due(data_dir, corpus_warehouse):
    week = corpus_warehouse[1]
    subscribe(data_dir, *[Subscriber(f"user{n}@example.org") for n in range(8)])
    settings = {"email_send_attempts": 1}
    stopped = pytest.raises(SmtpUnavailable, match="deferred 5 messages in a row")
    with LocalSmtpServer(Behaviour(defer_first=100)) as smtp, stopped:
        deliver(settings_for(data_dir, smtp, **settings), "weekly", week, report=corpus_warehouse[2])
    assert smtp.handler.deferred == 5
    assert {e.status for e in log_rows(data_dir, week).values()} == {"pending"}
