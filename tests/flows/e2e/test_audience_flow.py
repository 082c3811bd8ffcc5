"""Issue 16's acceptance, end to end: a d565448 warehouse with subscribers, upgraded and followed by real flow
runs (backfill, weekly report with email to a real SMTP server, `email --to`, reextract). A planted address
and a token taken from a sent message occur as bytes in neither the warehouse, the snapshot, an export nor
Prefect's database; no `papertrend sql` over any table returns them; after --purge the address is in no
file of the data dir."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from digest_replay.server import ReplayServer
from digest_replay.smtp_server import LocalSmtpServer
from digest_replay.synthetic.hf import generate_corpus
from flows.email import email_summaries
from flows.ingest import backfill
from flows.reextract import reextract
from flows.settings import Settings
from flows.weekly import weekly_report
from papertrend.cli import app
from papertrend.demo import replay_overrides
from reports.weeks import last_complete_week_in_data
from tests.factories import run_flow
from tests.warehouse.test_audience_upgrade import PLANTED, old_warehouse
from warehouse.audience import connect_audience
from warehouse.db import connect
from warehouse.subscribers import find_subscriber


def prefect_database_files() -> list[Path]:
    from prefect.settings import get_current_settings

    database = Path(urlsplit(get_current_settings().server.database.connection_url.get_secret_value()).path)
    return [p for p in database.parent.glob(database.name + "*") if p.is_file()]


def holding(files: list[Path], *needles: str) -> list[str]:
    return [f"{p.name}: {n}" for p in files for n in needles if n.encode() in p.read_bytes()]


def audience_digest(data: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(data.glob("audience.sqlite3*"))}


@pytest.mark.slow
def test_personal_data_of_an_upgraded_warehouse_reaches_no_analyst_file_and_purge_erases_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    old_warehouse(data / "warehouse.duckdb")  # PLANTED is an active weekly subscriber in it
    summary = generate_corpus(tmp_path / "corpus", days=30, papers_per_day=10, seed=4, arxiv=False)
    settings = Settings.load(data_dir=data)
    with ReplayServer(tmp_path / "corpus") as server:
        run_flow(replay_overrides(settings, server.base_url), backfill, summary.first_date, summary.last_date)
    week = last_complete_week_in_data(summary.last_date)
    with LocalSmtpServer() as smtp:
        email = {
            "email_smtp_host": "127.0.0.1",
            "email_smtp_port": smtp.port,
            "email_smtp_security": "none",
            "email_from_address": "papertrend@example.org",
            "email_unsubscribe_url": "https://papers.example.org/unsubscribe",
        }
        overrides = replay_overrides(settings, "http://127.0.0.1:9") | email
        run_flow(overrides, weekly_report, week)
        with connect_audience(settings.audience_path) as store:
            planted_id = find_subscriber(store, PLANTED).id
        run_flow(overrides, email_summaries, week, False, None, True, planted_id)  # `email --resend --to PLANTED`
    to_planted = [r for r in smtp.received if r.recipients == (PLANTED,)]
    assert len(to_planted) == 2
    tokens = [re.search(r"token=([0-9a-f]{40})>$", r.message["List-Unsubscribe"]).group(1) for r in to_planted]
    assert tokens[0] != tokens[1]

    export = tmp_path / "everything.txt"
    runner = CliRunner()
    with connect(settings.warehouse_path) as con:
        names = [
            n
            for (n,) in con.execute(
                "SELECT table_name FROM duckdb_tables() UNION ALL "
                "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        ]
    with export.open("w") as out:
        for name in names:
            result = runner.invoke(app, ["sql", f"SELECT * FROM {name}", "-f", "csv", "--data-dir", str(data)])
            assert result.exit_code == 0, (name, result.output)
            out.write(result.stdout)
    assert prefect_database_files()  # Prefect's own database is among what is searched
    analysts = [settings.warehouse_path, data / "warehouse.snapshot.duckdb", export, *prefect_database_files()]
    assert holding(analysts, PLANTED, *tokens) == []

    with connect_audience(settings.audience_path) as store:  # each message's link works, through its hash
        assert [find_subscriber(store, t).address for t in tokens] == [PLANTED, PLANTED]

    before = audience_digest(data)
    run_flow(replay_overrides(settings, "http://127.0.0.1:9"), reextract)
    assert audience_digest(data) == before  # re-extracting the warehouse never touches the audience

    purged = runner.invoke(app, ["subscribers", "remove", PLANTED, "--purge", "--data-dir", str(data)])
    assert purged.exit_code == 0, purged.output
    everything = [p for p in data.rglob("*") if p.is_file()]
    assert holding(everything + prefect_database_files(), PLANTED, *tokens) == []
