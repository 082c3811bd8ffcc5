"""A real warehouse with two stored weekly reports, its snapshot and search index; a real SMTP server."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from digest_replay.smtp_server import LocalSmtpServer
from digest_replay.synthetic.hf import generate_corpus
from flows.run import publish_snapshot
from flows.settings import Settings
from reports.rows import report_rows
from reports.trends import build_week_report
from reports.weeks import iso_week, week_start
from tests.factories import add_hostile_paper, load_corpus
from warehouse.db import connect
from warehouse.report_store import save_report

FROM = "papertrend@example.org"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> tuple[Path, list[str], dict]:
    """A data folder whose warehouse holds a synthetic corpus (planted trends, one hostile paper) and the
    stored reports of its last two complete weeks, published (snapshot and search index)."""
    root = tmp_path_factory.mktemp("web-site")
    summary = generate_corpus(root / "corpus", days=45, papers_per_day=20, seed=5, arxiv=False)
    last = summary.last_date - timedelta(days=(summary.last_date.weekday() - 4) % 7)
    weeks = [iso_week(last - timedelta(weeks=1)), iso_week(last)]
    add_hostile_paper(root / "corpus", week_start(weeks[1]) + timedelta(days=1))
    load_corpus(root / "corpus", root / "data" / "warehouse.duckdb")
    settings = Settings(data_dir=root / "data")
    reports = {}
    for week in weeks:
        with connect(settings.warehouse_path) as con:
            report, model = build_week_report(con, week_start(week))
            save_report(con, report_rows(report, model))
        reports[week] = report
    publish_snapshot(settings)
    return root / "data", weeks, reports


@pytest.fixture
def site_dir(built_site, tmp_path) -> Path:
    """A fresh copy of the built site (no audience store yet)."""
    data = tmp_path / "data"
    shutil.copytree(built_site[0], data)
    return data


@pytest.fixture
def smtp():
    with LocalSmtpServer() as server:
        yield server


def web_settings(data: Path, smtp: LocalSmtpServer | None = None, **extra) -> Settings:
    mail = {"email_smtp_host": "127.0.0.1", "email_smtp_port": smtp.port, "email_smtp_security": "none"} if smtp else {}
    base = {"email_from_address": FROM, "web_base_url": "http://127.0.0.1:8000"}
    return Settings(data_dir=data, **(base | mail | extra))


def send(built_site, settings: Settings, kind: str, label: str, **options):
    """deliver(), handed the stored week's report when there is one (computing it again costs a second)."""
    from flows.email import deliver

    return deliver(settings, kind, label, report=built_site[2].get(label) if kind == "weekly" else None, **options)
