"""The flows' email duties with Prefect's real harness: daily summaries after hf-daily, alerts on failure,
the password from a Prefect Secret block."""

from __future__ import annotations

from datetime import date

import pytest

from digest_replay.smtp_server import LocalSmtpServer
from flows.ingest import ingest
from flows.run import RunIncomplete
from flows.settings import Settings, SettingsInvalid, smtp_password
from tests.factories import arm, overrides_for, run_flow
from warehouse.audience import connect_audience
from warehouse.subscribers import Subscriber, add_subscribers, valid_subscriber


def email_overrides(smtp: LocalSmtpServer, **extra) -> dict:
    return {
        "email_smtp_host": "127.0.0.1",
        "email_smtp_port": smtp.port,
        "email_smtp_security": "none",
        "email_from_address": "papertrend@example.org",
        "email_retry_backoff": 0.01,
        **extra,
    }


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_hf_daily_emails_the_days_summary_to_daily_subscribers_once(site, tmp_path):
    overrides = overrides_for(tmp_path / "data", site.base_url)
    run_flow(overrides, ingest, date(2026, 4, 6), 0)
    with connect_audience(tmp_path / "data" / "audience.sqlite3") as store:
        add_subscribers(
            store,
            [
                valid_subscriber(Subscriber("ada@example.org", cadence="daily")),
                valid_subscriber(Subscriber("bob@example.org")),
            ],
        )
    with LocalSmtpServer() as smtp:
        settings = overrides | email_overrides(smtp)
        run_flow(settings, ingest, date(2026, 4, 7), 0, send_daily=True)
        run_flow(settings, ingest, date(2026, 4, 7), 0, send_daily=True)  # the same day again: no second message
        run_flow(settings, ingest, date(2026, 4, 8), 0)  # not the hf-daily deployment: no email
    assert [(r.recipients, r.message["Subject"].split(":")[0]) for r in smtp.received] == [
        (("ada@example.org",), "papertrend daily, 2026-04-07")
    ]
    text = smtp.received[0].message.get_body(preferencelist=("plain",)).get_content()
    assert "* Paper 1-0 on test-time compute" in text


def test_a_failed_run_alerts_ops_with_the_reason_and_the_quarantined_page(site, tmp_path):
    arm(site, "malformed@2026-04-07*1")
    overrides = overrides_for(tmp_path / "data", site.base_url, hf_fallback=False)
    with LocalSmtpServer() as smtp, pytest.raises(RunIncomplete):
        run_flow(overrides | email_overrides(smtp, email_ops_address="ops@example.org"), ingest, date(2026, 4, 8), 2)
    assert [r.recipients for r in smtp.received] == [("ops@example.org",)]
    alert = smtp.received[0].message
    assert alert["Subject"].startswith("papertrend alert: ingest run ") and alert["Subject"].endswith(" failed")
    body = alert.get_content()
    assert "quarantined" in body and "2026-04-07: MalformedPayload" in body


def test_the_smtp_password_can_come_from_a_prefect_secret_block(tmp_path):
    from prefect.blocks.system import Secret

    Secret(value="from-a-secret-block").save("papertrend-smtp-test", overwrite=True)
    assert smtp_password(Settings(email_smtp_password_secret="papertrend-smtp-test")) == "from-a-secret-block"
    with pytest.raises(SettingsInvalid, match="cannot be loaded"):
        smtp_password(Settings(email_smtp_password_secret="no-such-block"))
