import httpx
import pytest

from digest_replay.server import Fault
from tests.factories import DAYS


def test_api_bodies_are_served_as_captured_and_weekends_are_empty(site, tiny_corpus):
    api = httpx.get(f"{site.base_url}/api/daily_papers?date={DAYS[0]}")
    weekend = httpx.get(f"{site.base_url}/api/daily_papers?date=2026-04-11")
    assert api.content == (tiny_corpus / "hf-daily-api" / f"{DAYS[0]}.json").read_bytes()
    assert weekend.json() == []


def test_pages_are_rendered_in_hf_structure_from_the_api_body(site):
    html = httpx.get(f"{site.base_url}/papers/date/{DAYS[0]}").text
    assert 'data-target="DailyPapers"' in html and html.count("<article") == 3


def test_unknown_paths_are_404(site):
    assert httpx.get(f"{site.base_url}/api/daily_papers?date=yesterday").status_code == 404


def test_faults_fire_the_given_number_of_times(site):
    site.faults.append(Fault.parse(f"429:3@{DAYS[0]}*1"))
    first = httpx.get(f"{site.base_url}/api/daily_papers?date={DAYS[0]}")
    second = httpx.get(f"{site.base_url}/api/daily_papers?date={DAYS[0]}")
    assert (first.status_code, first.headers["retry-after"], second.status_code) == (429, "3", 200)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("503@x", ("status", 503, None, "x")),
        ("429:2@date=2024-05-28*1", ("status", 429, 1, "date=2024-05-28")),
        ("malformed@06-03", ("malformed", 503, None, "06-03")),
    ],
)
def test_fault_specs_parse(spec, expected):
    fault = Fault.parse(spec)
    assert (fault.kind, fault.status, fault.times, fault.match) == expected


def test_an_unknown_fault_is_refused():
    with pytest.raises(ValueError, match="unknown fault 'explode'"):
        Fault.parse("explode@x")


def test_a_port_out_of_range_or_in_use_is_one_line(tmp_path):
    import socket

    from typer.testing import CliRunner

    from papertrend.cli import app

    runner = CliRunner()
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        for port, code, says in (("70000", 2, "port 70000 is not a TCP port"), (str(taken), 1, "already in use")):
            result = runner.invoke(app, ["replay", "--corpus", str(tmp_path), "--port", port])
            errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
            assert result.exit_code == code and len(errors) == 1 and says in errors[0], result.stderr
            assert "Traceback" not in result.stderr
