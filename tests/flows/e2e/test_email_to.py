"""`email --to` naming nobody and an unwritable `--outbox` are one line each, not "nobody is due" or a bug."""

from typer.testing import CliRunner

from flows.run import publish_snapshot
from flows.settings import Settings
from papertrend.cli import app
from tests.factories import PageResult, load_pages, page, record
from warehouse.audience import connect_audience
from warehouse.db import connect
from warehouse.subscribers import Subscriber, add_subscribers, valid_subscriber


def test_email_to_an_address_naming_nobody_exits_1_naming_it(tmp_path):
    with connect(tmp_path / "warehouse.duckdb") as con:
        load_pages(con, [PageResult(page(), [record(), record("2604.00002", rank=2, upvotes=7)])], run_id="r1")
    settings = Settings.load(data_dir=tmp_path)
    with connect_audience(settings.audience_path) as store:
        add_subscribers(store, [valid_subscriber(Subscriber("ada@example.org"))])
        add_subscribers(store, [valid_subscriber(Subscriber("dan@example.org", cadence="daily"))])
    publish_snapshot(settings)
    args = ["email", "--week", "2026-W15", "--dry-run", "--resend", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--to", "typo@example.org"])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 1 and len(errors) == 1, result.output
    assert "--to typo@example.org: no such subscriber" in errors[0]
    daily = CliRunner().invoke(app, [*args, "--to", "dan@example.org"])  # a daily subscriber asked for a week
    errors = [line for line in daily.stderr.splitlines() if line.startswith("error: ")]
    assert daily.exit_code == 1 and len(errors) == 1, daily.output
    assert "--to dan@example.org names no active weekly subscriber" in errors[0]
    assert not (tmp_path / "outbox").exists()
    sent = CliRunner().invoke(app, [*args, "--to", "ada@example.org"])
    assert sent.exit_code == 0 and "wrote 1 message(s)" in sent.stdout, sent.output


def test_an_outbox_that_cannot_be_written_is_one_line_before_any_work(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("kept\n")
    for outbox, says in ((afile, "is a file, not a folder"), (afile / "sub", "cannot be created or written")):
        args = ["email", "--week", "2026-W15", "--dry-run", "--outbox", str(outbox), "--data-dir", str(tmp_path)]
        result = CliRunner().invoke(app, args)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert result.exit_code == 2 and len(errors) == 1 and f"--outbox {outbox} {says}" in errors[0], result.output
    assert afile.read_text() == "kept\n" and not (tmp_path / "warehouse.duckdb").exists()
