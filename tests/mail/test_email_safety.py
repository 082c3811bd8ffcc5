"""Addresses, headers, message ids, subscriber commands, SMTP passwords: what a scraped or typed string can become."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mail.message import header_text, message_id
from papertrend.cli import app
from tests.factories import plant_token
from warehouse.subscribers import SubscriberInvalid, valid_address


@pytest.mark.parametrize(
    "address",
    [
        "no-at-sign.example.org",
        "ada@example.org\r\nBcc: eve@evil.test",
        "ada@example.org\nBcc: eve@evil.test",
        "ada@example.org, eve@evil.test",
        "ada@example.org;eve@evil.test",
        "Ada <ada@example.org>",
        "ada@@example.org",
        "a" * 250 + "@example.org",
        "ada@exa\u2028mple.org",
        "ada@example.org\x00",
    ],
)
def test_an_address_that_is_not_one_plain_mailbox_is_refused(address):
    with pytest.raises(SubscriberInvalid):
        valid_address(address)


def test_a_plain_address_is_kept_with_its_domain_in_lower_case():
    assert valid_address("  Ada.Lovelace+papers@Example.ORG ") == "Ada.Lovelace+papers@example.org"


@pytest.mark.parametrize(
    "hostile",
    [
        "Title\r\nBcc: eve@evil.test",
        "=?UTF-8?Q?=0A?=Bcc: eve@evil.test",
        "line\u2028separator\u2029paragraph",
        "nul\x00byte",
        "bidi\u202eoverride",
    ],
)
def test_header_text_is_one_line_with_no_encoded_word_and_no_control_characters(hostile):
    text = header_text(hostile)
    assert "\r" not in text and "\n" not in text and "\x00" not in text
    assert "=?" not in text and "?=" not in text
    assert all(c not in text for c in "\u2028\u2029\u202e")


def test_header_text_is_capped_at_a_word_with_an_ellipsis():
    text = header_text("word " * 40, limit=30)
    assert len(text) <= 30 and text.endswith("…") and "wor…" not in text


def test_the_message_id_is_stable_per_period_and_recipient_and_names_no_address():
    first = message_id("2026-W17", "ada@example.org", "example.org")
    assert first == message_id("2026-W17", "ada@example.org", "example.org")
    assert first != message_id("2026-W18", "ada@example.org", "example.org")
    assert "ada" not in first and first.startswith("<2026-W17.") and first.endswith("@example.org>")


def test_a_csv_import_with_bad_rows_imports_nothing_and_names_every_bad_row(tmp_path):
    data = tmp_path / "data"
    good = tmp_path / "good.csv"
    good.write_text("address,name,keywords,cadence\nada@example.org,Ada,agents;memory,weekly\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        'address,name,keywords\nbob@example.org,Bob,x\nnot-an-address,,\n"c@d.org, e@f.org",,\nbob@example.org,,\n'
    )
    runner = CliRunner()
    assert runner.invoke(app, ["subscribers", "import", str(good), "--data-dir", str(data)]).exit_code == 0
    result = runner.invoke(app, ["subscribers", "import", str(bad), "--data-dir", str(data)])
    assert result.exit_code == 2
    assert "3 bad row(s); nothing was imported" in result.stderr
    assert all(f"line {n}:" in result.stderr for n in (3, 4, 5))
    listed = runner.invoke(app, ["subscribers", "list", "--format", "csv", "--data-dir", str(data)])
    assert listed.stdout.splitlines()[1].startswith("ada@example.org,Ada,weekly,agents;memory")
    assert "bob@example.org" not in listed.stdout


def test_subscribers_are_removed_by_address_or_token_and_purged_on_request(tmp_path):
    data = str(tmp_path / "data")
    runner = CliRunner()
    assert runner.invoke(app, ["subscribers", "add", "ada@example.org", "--data-dir", data]).exit_code == 0
    assert (
        runner.invoke(app, ["subscribers", "add", "bob@example.org", "--keyword", "RL", "--data-dir", data]).exit_code
        == 0
    )
    token = plant_token(tmp_path / "data", "bob@example.org")
    assert runner.invoke(app, ["unsubscribe", token, "--data-dir", data]).stdout == "unsubscribed bob@example.org\n"
    assert (
        runner.invoke(app, ["subscribers", "remove", "ada@example.org", "--purge", "--data-dir", data]).exit_code == 0
    )
    listed = runner.invoke(app, ["subscribers", "list", "--all", "--format", "json", "--data-dir", data])
    import json

    assert [(s["address"], s["active"]) for s in json.loads(listed.stdout)] == [("bob@example.org", False)]
    missing = runner.invoke(app, ["unsubscribe", "nobody@example.org", "--data-dir", data])
    assert missing.exit_code == 1 and "no subscriber" in missing.stderr
    refused = runner.invoke(app, ["subscribers", "add", "eve@evil.test\r\nBcc: x@y.z", "--data-dir", data])
    assert refused.exit_code == 2 and "line break" in refused.stderr


def test_email_without_smtp_host_is_a_settings_error_unless_dry_run(tmp_path):
    result = CliRunner().invoke(app, ["email", "--week", "2026-W17", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "smtp_host" in result.stderr


def test_a_password_is_never_sent_unencrypted_to_another_host():
    from flows.settings import Settings, SettingsInvalid

    base = {"email_smtp_host": "smtp.example.org", "email_from_address": "p@example.org", "email_smtp_user": "me"}
    with pytest.raises(SettingsInvalid, match="unencrypted"):
        Settings.load(env={}, **base, email_smtp_security="none")
    assert Settings.load(env={}, **base | {"email_smtp_host": "127.0.0.1"}, email_smtp_security="none")
