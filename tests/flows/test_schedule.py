import json

from typer.testing import CliRunner

from flows.schedule import deployments
from flows.settings import Settings
from papertrend.cli import app


def test_three_deployments_with_their_crons_zones_and_a_concurrency_limit_of_one():
    jobs = {d.name: d for d in deployments(Settings.load(env={"PAPERTREND_TIMEZONE": "Europe/Berlin"}))}
    assert {n: (d.flow, d.cron, d.timezone, d.concurrency_limit) for n, d in jobs.items()} == {
        "hf-daily": ("ingest", "30 6 * * *", "Europe/Berlin", 1),
        "arxiv-daily": ("ingest", "30 20 * * 0-4", "America/New_York", 1),
        "weekly-report": ("weekly-report", "0 7 * * 1", "Europe/Berlin", 1),
    }
    assert jobs["hf-daily"].parameters == {"sources": ["hf"], "send_daily": True} and jobs[
        "arxiv-daily"
    ].parameters == {"sources": ["arxiv"]}


def test_the_old_schedule_cron_still_sets_the_hf_schedule():
    settings = Settings.load(env={"PAPERTREND_SCHEDULE_CRON": "15 7 * * 1-5"})
    assert deployments(settings)[0].cron == "15 7 * * 1-5"


def test_serve_list_prints_the_deployments_as_json_without_starting_anything(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--list", "--format", "json", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert [d["name"] for d in listed] == ["hf-daily", "arxiv-daily", "weekly-report"]
    assert all(set(d) == {"name", "flow", "cron", "timezone", "parameters", "concurrency_limit"} for d in listed)
    assert not (tmp_path / "warehouse.duckdb").exists()
