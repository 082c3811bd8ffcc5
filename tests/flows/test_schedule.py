import json
from pathlib import Path

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


def test_the_committed_prefect_yaml_is_what_serve_runs(tmp_path):
    """prefect.yaml is `serve --prefect-yaml` with the default settings: the same deployments, schedules, time
    zones, parameters and concurrency as serve, retried flows as entrypoints, all on the warehouse queue."""
    import yaml

    from flows import scheduled
    from flows.work_pool import POOL, QUEUE, prefect_yaml

    root = Path(__file__).resolve().parents[2]
    settings = Settings.load(data_dir=tmp_path)
    committed = (root / "prefect.yaml").read_text()
    assert committed == prefect_yaml(settings), (
        "prefect.yaml is stale: `papertrend serve --prefect-yaml > prefect.yaml`"
    )
    written = {d["name"]: d for d in yaml.safe_load(committed)["deployments"]}
    for job in deployments(settings):
        entry = written[job.name]
        assert entry["schedules"] == [{"cron": job.cron, "timezone": job.timezone, "active": True}]
        assert entry["parameters"] == job.parameters
        assert entry["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
        assert (entry["work_pool"]["name"], entry["work_pool"]["work_queue_name"]) == (POOL, QUEUE)
        module, name = entry["entrypoint"].split(":")
        flow = getattr(scheduled, name)
        assert module == "flows/scheduled.py" and flow.name == job.flow and flow.retries == scheduled.RETRIES
