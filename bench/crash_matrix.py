"""Crash matrix: `ingest`, `report` and `email` killed at random points, half by SIGKILL and half by SIGTERM.

Everything is real: a synthetic corpus replayed over HTTP, one running Prefect
server (`papertrend server start`) that every command records its runs in, a
local SMTP server, and each command a fresh `papertrend` process on its own
copy of a loaded data folder. After each kill it checks that

- the warehouse holds what it held before the command or what a complete
  run leaves, never something in between;
- no process the command started is left behind;
- running the command again completes, and (email) every subscriber then has
  the period's message, with at most one duplicate per crash.

    python bench/crash_matrix.py [--trials 20] [--seed 16] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digest_replay.server import ReplayServer  # noqa: E402
from digest_replay.smtp_server import LocalSmtpServer  # noqa: E402
from digest_replay.synthetic.hf import generate_corpus  # noqa: E402

PAPERTREND = [sys.executable, "-m", "papertrend.cli"]
SUBSCRIBERS = 400  # enough that sending is most of an email run, so kills land mid-send
DAYS = 28
# What a command leaves in the warehouse, without the times and ids that differ from run to run by nature.
STATE = {
    "papers": "SELECT * EXCLUDE (observed_at) FROM papers ORDER BY arxiv_id",
    "sightings": "SELECT * EXCLUDE (first_observed_at, observed_at, raw_sha256) FROM sightings ORDER BY ALL",
    "digests": "SELECT source, listing, digest_date, entries FROM digests ORDER BY ALL",
    "reports": "SELECT week FROM reports ORDER BY ALL",
}


@dataclass
class Outcome:
    """What the trials of one command found."""

    trials: int = 0
    by_signal: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)  # before / after / between
    exit_codes: Counter[int] = field(default_factory=Counter)
    leftover_processes: int = 0
    reruns_ok: int = 0
    missed_recipients: int = 0
    duplicates: int = 0
    most_duplicates_in_a_trial: int = 0
    killed_mid_send: int = 0  # email: some recipients had their message when the kill came, not all


def run(args: list[str], env: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*PAPERTREND, *args], env=env, capture_output=True, text=True, cwd=ROOT)
    if check and done.returncode != 0:
        raise SystemExit(f"papertrend {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done


def state(data: Path) -> tuple:
    import duckdb

    con = duckdb.connect(str(data / "warehouse.duckdb"))  # read-write: replays or discards a WAL, as a flow would
    try:
        return tuple(tuple(con.execute(sql).fetchall()) for sql in STATE.values())
    finally:
        con.close()


def ours(data: Path) -> list[psutil.Process]:
    """Processes working for the data folder `data`: the command and whatever it started (they inherit its env)."""
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if process.environ().get("PAPERTREND_DATA_DIR") == str(data):
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def kill_at_random(command: list[str], env: dict[str, str], delay: float, sig: signal.Signals) -> tuple[int, int]:
    """Run `command`, send `sig` after `delay` s; return its exit code and how many of its processes outlive it."""
    process = subprocess.Popen(
        [*PAPERTREND, *command], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(sig)
    code = process.wait(timeout=120)
    time.sleep(1.0)  # a child told to stop gets a moment to go, as it would under cron
    left = ours(Path(env["PAPERTREND_DATA_DIR"]))
    for p in left:
        p.kill()
    return code, len(left)


def trial_env(base_env: dict[str, str], data: Path) -> dict[str, str]:
    return {**base_env, "PAPERTREND_DATA_DIR": str(data), "PREFECT_HOME": str(data / "prefect")}


def matrix(
    name: str,
    command: list[str],
    base: Path,
    work: Path,
    base_env: dict[str, str],
    trials: int,
    rng: random.Random,
    after_rerun: Callable[[Path, Outcome], None] | None = None,
    before_trial: Callable[[], None] | None = None,
    after_kill: Callable[[Outcome], None] | None = None,
) -> Outcome:
    """`trials` kills of `command` on copies of `base`, then a rerun of each."""
    calibration = work / f"{name}-calibration"
    shutil.copytree(base, calibration)
    before = state(calibration)
    if before_trial:
        before_trial()
    began = time.monotonic()
    run(command, trial_env(base_env, calibration))
    seconds = time.monotonic() - began
    after = state(calibration)
    outcome = Outcome()
    for n in range(trials):
        data = work / f"{name}-{n}"
        shutil.copytree(base, data)
        env = trial_env(base_env, data)
        sig = signal.SIGKILL if n % 2 == 0 else signal.SIGTERM
        if before_trial:
            before_trial()
        code, left = kill_at_random(command, env, rng.uniform(0.05, 1.0) * seconds, sig)
        now = state(data)
        if after_kill:
            after_kill(outcome)
        outcome.trials += 1
        outcome.by_signal[sig.name] += 1
        outcome.exit_codes[code] += 1
        outcome.leftover_processes += left
        outcome.states["before" if now == before else "after" if now == after else "between"] += 1
        rerun = run(command, env, check=False)
        outcome.reruns_ok += rerun.returncode == 0 and state(data) == after
        if after_rerun:
            after_rerun(data, outcome)
        shutil.rmtree(data)
    print(f"{name}: one complete run {seconds:.1f} s; {_describe(outcome, email=after_rerun is not None)}", flush=True)
    return outcome


def _describe(outcome: Outcome, *, email: bool = False) -> str:
    return (
        f"{outcome.trials} trials ({dict(outcome.by_signal)}), warehouse {dict(outcome.states)}, "
        f"exit codes {dict(outcome.exit_codes)}, processes left behind {outcome.leftover_processes}, "
        f"reruns complete and equal to a clean run {outcome.reruns_ok}/{outcome.trials}"
        + (
            f", recipients missed {outcome.missed_recipients}, duplicates {outcome.duplicates} "
            f"(at most {outcome.most_duplicates_in_a_trial} in one trial), "
            f"killed while sending (some recipients sent, not all) {outcome.killed_mid_send}"
            if email
            else ""
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--only", choices=["ingest", "report", "email"], action="append")
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temporary folder)")
    options = parser.parse_args()
    work = options.keep or Path(tempfile.mkdtemp(prefix="papertrend-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(options.seed)
    corpus = work / "corpus"
    if not corpus.exists():
        generate_corpus(corpus, days=DAYS, papers_per_day=25, seed=options.seed, arxiv=False)
    days = sorted(p.name[:10] for p in (corpus / "hf-daily-api").glob("*.json*"))
    with ReplayServer(corpus) as site, LocalSmtpServer() as smtp:
        base_env = {
            **os.environ,
            "PAPERTREND_HF_BASE_URL": site.base_url,
            "PAPERTREND_HF_API_INTERVAL": "0",
            "PAPERTREND_ARXIV_ENABLED": "false",
            "PAPERTREND_EMAIL_SMTP_HOST": "127.0.0.1",
            "PAPERTREND_EMAIL_SMTP_PORT": str(smtp.port),
            "PAPERTREND_EMAIL_SMTP_SECURITY": "none",
            "PAPERTREND_EMAIL_FROM_ADDRESS": "papertrend@example.org",
            "PAPERTREND_EMAIL_SEND_WITH_REPORT": "false",
            "PAPERTREND_PREFECT_PORT": str(_free_port()),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
        base = work / "base"
        if not base.exists():
            env = trial_env(base_env, base)
            run(["backfill", days[0], days[-2]], env)
            csv = work / "subscribers.csv"
            csv.write_text(
                "address,cadence\n" + "".join(f"reader{n:02}@example.org,weekly\n" for n in range(SUBSCRIBERS))
            )
            run(["subscribers", "import", str(csv)], env)
        server_env = trial_env(base_env, base)
        run(["server", "start"], server_env)
        week = _week_of(days[-8])
        outcomes = {}
        try:
            commands = {
                "ingest": (["ingest", days[-1], "--refresh-days", "0"], None, None, None),
                "report": (["report", "--week", week], None, None, None),
                "email": (["email", "--week", week], _check_mail(smtp), smtp.received.clear, _mid_send(smtp)),
            }
            for name, (command, after_rerun, before_trial, after_kill) in commands.items():
                if options.only and name not in options.only:
                    continue
                outcomes[name] = matrix(
                    name, command, base, work, base_env, options.trials, rng, after_rerun, before_trial, after_kill
                )
        finally:
            run(["server", "stop"], server_env, check=False)
    bad = [
        name
        for name, o in outcomes.items()
        if o.states["between"]
        or o.leftover_processes
        or o.reruns_ok < o.trials
        or o.missed_recipients
        or o.most_duplicates_in_a_trial > 1
    ]
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("crash matrix: " + ("FAILED for " + ", ".join(bad) if bad else "every trial before-or-after, nothing left"))
    sys.exit(1 if bad else 0)


def _check_mail(smtp: LocalSmtpServer) -> Callable[[Path, Outcome], None]:
    def check(data: Path, outcome: Outcome) -> None:
        got = Counter(rcpt for message in smtp.received for rcpt in message.recipients)
        wanted = {f"reader{n:02}@example.org" for n in range(SUBSCRIBERS)}
        outcome.missed_recipients += len(wanted - set(got))
        extra = sum(count - 1 for count in got.values() if count > 1)
        outcome.duplicates += extra
        outcome.most_duplicates_in_a_trial = max(outcome.most_duplicates_in_a_trial, extra)

    return check


def _mid_send(smtp: LocalSmtpServer) -> Callable[[Outcome], None]:
    def count(outcome: Outcome) -> None:
        sent = {rcpt for message in smtp.received for rcpt in message.recipients}
        outcome.killed_mid_send += 0 < len(sent) < SUBSCRIBERS

    return count


def _week_of(day: str) -> str:
    from datetime import date

    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
