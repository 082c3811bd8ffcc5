"""A month of real HF days fetched through a replay that misbehaves at random: after a second pass
the warehouse holds exactly what a fault-free run loads."""

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from digest_replay.server import Fault, ReplayServer
from flows.ingest import backfill
from flows.run import RunIncomplete
from tests.factories import overrides_for, run_flow
from warehouse.db import connect

pytestmark = [pytest.mark.slow, pytest.mark.fixtures]
START, END = date(2025, 3, 3), date(2025, 3, 28)
SEEDS = [16, 1606]
MAX_PASSES = 4
# What a real host does wrong, each armed for a few requests only, as real faults pass.
FAULTS = {
    "429 with Retry-After": lambda: Fault(kind="status", status=429, retry_after="1", times=1),
    "503": lambda: Fault(kind="status", status=503, times=1),
    "truncated body": lambda: Fault(kind="truncate", times=1),
    "disconnect": lambda: Fault(kind="disconnect", times=1),
    "slow drip": lambda: Fault(kind="drip", delay=0.01, chunk=2048, times=1),
    "stall": lambda: Fault(kind="stall", delay=0.3, times=1),
    "malformed page": lambda: Fault(kind="malformed", times=1),
}
# Every column that says what was loaded; fetch and observation times differ from run to run by nature.
CONTENT = {
    "papers": "SELECT * EXCLUDE (observed_at) FROM papers ORDER BY arxiv_id",
    "sightings": "SELECT * EXCLUDE (first_observed_at, observed_at) FROM sightings ORDER BY ALL",
    "digests": "SELECT * EXCLUDE (fetched_at, url) FROM digests ORDER BY ALL",  # each replay has its own port
}


def _content(data):
    with connect(data / "warehouse.duckdb", read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in CONTENT.items()}


def _armed(seed: int) -> list[tuple[str, Fault]]:
    rng = random.Random(seed)
    faults = []
    day = START
    while day <= END:
        for _ in range(rng.choice([0, 1, 1, 2])):
            kind = rng.choice(sorted(FAULTS))
            fault = FAULTS[kind]()
            fault.match = f"date={day}"
            faults.append((kind, fault))
        day += timedelta(days=1)
    return faults


@pytest.mark.parametrize("seed", SEEDS)
def test_a_soaked_month_equals_the_fault_free_run_after_a_second_pass(fixtures, tmp_path, seed):
    with ReplayServer(fixtures) as clean:
        run_flow(overrides_for(tmp_path / "clean", clean.base_url, hf_fallback=False), backfill, START, END)
    faults = _armed(seed)
    passes = []
    with ReplayServer(fixtures, faults=[fault for _, fault in faults]) as soaked:
        overrides = overrides_for(tmp_path / "soaked", soaked.base_url, hf_fallback=False, fetch_read_timeout=5.0)
        # As the schedule would: run again until a run completes. A 429 whose Retry-After is too long stops a
        # run with the rest unfetched, so those days meet their faults only on the next pass.
        while not passes or passes[-1].incomplete:
            assert len(passes) < MAX_PASSES, [_counts(p) for p in passes]
            try:
                passes.append(run_flow(overrides, backfill, START, END))
            except RunIncomplete as incomplete:
                passes.append(incomplete.summary)
        fired = Counter(kind for kind, fault in faults if not fault.times)
    print(
        f"seed {seed}: faults fired {dict(fired)} of {len(faults)} armed; "
        + "; ".join(f"pass {n}: {_counts(p)}" for n, p in enumerate(passes, 1))
    )
    assert sum(fired.values()) >= 10
    assert len(passes) >= 2  # the faults did bite
    assert sum(p.new_sightings for p in passes) == sum(
        len(rows) for rows in [_content(tmp_path / "clean")["sightings"]]
    )
    soaked_rows, clean_rows = _content(tmp_path / "soaked"), _content(tmp_path / "clean")
    for table, rows in clean_rows.items():
        assert soaked_rows[table] == rows, table


def _counts(summary) -> str:
    keys = ("pages_fetched", "pages_failed", "pages_quarantined", "days_unfetched", "new_sightings")
    return " ".join(f"{key}={getattr(summary, key)}" for key in keys)
