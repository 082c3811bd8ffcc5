"""The audience store: one subscriber per mailbox whatever the case, consent kept, purge leaves no byte,
writes never wait on the warehouse, and the warehouse sees counts only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertrend.cli import app
from tests.factories import plant_token
from warehouse.audience import AudienceError, connect_audience, sending_turn
from warehouse.db import connect
from warehouse.subscribers import ConsentWithdrawn, Subscriber, add_subscribers, remove_subscriber, subscribers

ADDRESS = "purge.me-7Q@example.org"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def listed(data: Path) -> list[dict]:
    return json.loads(invoke("subscribers", "list", "--all", "-f", "json", "--data-dir", str(data)).stdout)


def test_addresses_differing_only_in_case_are_one_subscriber(tmp_path):
    data = str(tmp_path)
    assert invoke("subscribers", "add", "kim@example.org", "--keyword", "rl", "--data-dir", data).exit_code == 0
    again = invoke("subscribers", "add", "KIM@Example.ORG", "--keyword", "agents", "--data-dir", data)
    assert again.exit_code == 0
    assert [(s["address"], s["keywords"]) for s in listed(tmp_path)] == [("kim@example.org", "agents")]
    csv = tmp_path / "team.csv"
    csv.write_text("address\nKim@example.org\n")
    assert invoke("subscribers", "import", str(csv), "--data-dir", data).stdout.startswith(
        f"imported 1 subscriber(s) from {csv}: 0 new, 1 updated"
    )
    assert len(listed(tmp_path)) == 1


def test_an_import_never_resubscribes_someone_who_unsubscribed(tmp_path):
    data = str(tmp_path)
    invoke("subscribers", "add", "ada@example.org", "--data-dir", data)
    invoke("subscribers", "add", "bob@example.org", "--data-dir", data)
    assert invoke("unsubscribe", "ADA@example.org", "--data-dir", data).exit_code == 0
    csv = tmp_path / "team.csv"
    csv.write_text("address,name\nada@example.org,Ada\nbob@example.org,Bob\ncy@example.org,Cy\n")
    result = invoke("subscribers", "import", str(csv), "--data-dir", data)
    assert result.exit_code == 0
    assert "1 new, 1 updated" in result.stdout and "1 address(es) unsubscribed before" in result.stdout
    assert {s["address"]: s["active"] for s in listed(tmp_path)} == {
        "ada@example.org": False,
        "bob@example.org": True,
        "cy@example.org": True,
    }
    forced = invoke("subscribers", "import", str(csv), "--resubscribe", "--data-dir", data)
    assert forced.exit_code == 0 and "1 re-subscribed" in forced.stdout
    assert all(s["active"] for s in listed(tmp_path))


def test_add_refuses_an_address_that_unsubscribed_unless_told_to_resubscribe(tmp_path):
    data = str(tmp_path)
    invoke("subscribers", "add", "ada@example.org", "--data-dir", data)
    invoke("subscribers", "remove", "ada@example.org", "--data-dir", data)
    refused = invoke("subscribers", "add", "Ada@example.org", "--data-dir", data)
    assert refused.exit_code == 1 and "unsubscribed on" in refused.stderr and "--resubscribe" in refused.stderr
    assert [s["active"] for s in listed(tmp_path)] == [False]
    back = invoke("subscribers", "add", "ada@example.org", "--resubscribe", "--data-dir", data)
    assert back.exit_code == 0 and back.stdout == "subscribed again ada@example.org (weekly)\n"


def test_consent_withdrawn_is_raised_by_a_strict_store_and_nothing_is_stored(tmp_path):
    with connect_audience(tmp_path / "audience.sqlite3") as store:
        add_subscribers(store, [Subscriber("ada@example.org")])
        remove_subscriber(store, "ada@example.org")
        with pytest.raises(ConsentWithdrawn, match=r"ada@example\.org unsubscribed on"):
            add_subscribers(store, [Subscriber("bob@example.org"), Subscriber("ada@example.org")], strict=True)
        assert [s.address for s in subscribers(store, active_only=False)] == ["ada@example.org"]


def test_purge_leaves_the_address_in_no_file_of_the_data_dir(tmp_path):
    data = tmp_path / "data"
    assert invoke("subscribers", "add", ADDRESS, "--name", "Purge Me", "--data-dir", str(data)).exit_code == 0
    invoke("subscribers", "add", "stays@example.org", "--data-dir", str(data))
    assert invoke("index-terms", "--data-dir", str(data)).exit_code == 0  # a warehouse and snapshot exist too
    token = plant_token(data, ADDRESS)
    with connect_audience(data / "audience.sqlite3") as store:  # a reply naming the recipient, as servers do
        from warehouse import email_log

        sub = subscribers(store, address=ADDRESS)[0]
        email_log.mark_done(store, "2026-W17", sub.id, "failed", f"550 <{ADDRESS}>: no such user", "<m@x>")
        store.execute("UPDATE email_log SET last_reply = ? WHERE subscriber_id = ?", [f"550 {ADDRESS}", sub.id])
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(ADDRESS.encode() in p.read_bytes() for p in files)
    result = invoke("subscribers", "remove", ADDRESS, "--purge", "--data-dir", str(data))
    assert result.exit_code == 0 and result.stdout == f"purged {ADDRESS}\n"
    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"audience.sqlite3", "warehouse.duckdb", "warehouse.snapshot.duckdb"}
    for needle in (ADDRESS, ADDRESS.lower(), "Purge Me", token):
        assert [p.name for p in files if needle.encode() in p.read_bytes()] == [], needle
    assert [s["address"] for s in listed(data)] == ["stays@example.org"]
    with connect_audience(data / "audience.sqlite3") as store:  # the counts keep the message, not the person
        assert store.execute("SELECT subscriber_id, status, message_id FROM email_log").fetchall() == [
            (None, "failed", None)
        ]
    gone = invoke("unsubscribe", token, "--data-dir", str(data))
    assert gone.exit_code == 1 and "no subscriber" in gone.stderr


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_a_subscriber_command_does_not_wait_for_a_flow_holding_the_warehouse(tmp_path):
    data = tmp_path / "data"
    invoke("subscribers", "add", "ada@example.org", "--data-dir", str(data))
    assert invoke("index-terms", "--data-dir", str(data)).exit_code == 0
    holder = subprocess.Popen(  # a flow mid-load: the writer lock and the DuckDB file, held
        [
            sys.executable,
            "-c",
            "import sys, time; from warehouse.db import connect\n"
            "with connect(sys.argv[1]):\n    print('held', flush=True); time.sleep(120)",
            str(data / "warehouse.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        added = invoke("subscribers", "add", "bob@example.org", "--data-dir", str(data))
        removed = invoke("unsubscribe", "ada@example.org", "--data-dir", str(data))
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert added.exit_code == 0 and added.stdout == "subscribed bob@example.org (weekly)\n"
    assert "audience_counts refresh with the next email run" in added.stderr
    assert removed.exit_code == 0
    assert {s["address"]: s["active"] for s in listed(data)} == {"ada@example.org": False, "bob@example.org": True}


def test_the_warehouse_gets_counts_and_nothing_personal(tmp_path):
    data = tmp_path / "data"
    invoke("subscribers", "add", "ada@example.org", "--keyword", "secret-interest", "--data-dir", str(data))
    invoke("subscribers", "add", "bob@example.org", "--cadence", "daily", "--data-dir", str(data))
    invoke("index-terms", "--data-dir", str(data))
    invoke("unsubscribe", "bob@example.org", "--data-dir", str(data))
    with connect(data / "warehouse.duckdb") as con:
        rows = con.execute("SELECT kind, cadence, period, status, count FROM audience_counts ORDER BY ALL").fetchall()
    assert rows == [("subscribers", "daily", None, "unsubscribed", 1), ("subscribers", "weekly", None, "active", 1)]
    for file in (data / "warehouse.duckdb", data / "warehouse.snapshot.duckdb"):
        for needle in (b"ada@example.org", b"bob@example.org", b"secret-interest"):
            assert needle not in file.read_bytes()


def test_a_store_that_is_not_sqlite_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "audience.sqlite3").write_bytes(b"not a database at all" * 100)
    result = invoke("subscribers", "list", "--data-dir", str(tmp_path))
    assert result.exit_code == 1 and "audience store" in result.stderr and "Traceback" not in result.output


def test_email_to_nobody_or_to_someone_who_unsubscribed_is_one_line_and_exit_1(tmp_path):
    data = str(tmp_path)
    invoke("subscribers", "add", "ada@example.org", "--data-dir", data)
    invoke("unsubscribe", "ada@example.org", "--data-dir", data)
    typo = invoke("email", "--dry-run", "--to", "adda@example.org", "--data-dir", data)
    assert typo.exit_code == 1 and "adda@example.org: no such subscriber" in typo.stderr
    gone = invoke("email", "--dry-run", "--to", "ADA@example.org", "--data-dir", data)
    assert gone.exit_code == 1 and "unsubscribed" in gone.stderr
    bad = invoke("email", "--dry-run", "--to", "not an address", "--data-dir", data)
    assert bad.exit_code == 2 and "--to" in bad.stderr


def test_a_second_sender_waits_for_the_first_ones_turn_and_then_says_so(tmp_path):
    store = tmp_path / "audience.sqlite3"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from warehouse.audience import sending_turn\n"
            "with sending_turn(sys.argv[1]):\n    print('held', flush=True); time.sleep(120)",
            str(store),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(AudienceError, match="another papertrend process has been sending"),
            sending_turn(store, wait=0.3),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with sending_turn(store, wait=0):  # the kernel dropped the dead holder's turn
        pass


def test_the_email_log_keeps_rows_for_log_days_and_pending_ones_until_sent(tmp_path):
    from warehouse import email_log

    with connect_audience(tmp_path / "audience.sqlite3") as store:
        add_subscribers(store, [Subscriber("ada@example.org"), Subscriber("bob@example.org")])
        ada, bob = (s.id for s in subscribers(store))
        email_log.mark_done(store, "2024-W01", ada, "sent", "250 ok", "<a@x>")
        email_log.claim(store, "2024-W01", [email_log.Claim(bob, "<b@x>")])
        email_log.mark_done(store, "2026-W17", ada, "sent", "250 ok", "<c@x>")
        store.execute("UPDATE email_log SET updated_at = '2024-01-08T00:00:00' WHERE period = '2024-W01'")
        assert email_log.prune(store, 400) == 1
        left = store.execute("SELECT period, subscriber_id, status FROM email_log ORDER BY id").fetchall()
    assert left == [("2024-W01", bob, "pending"), ("2026-W17", ada, "sent")]
