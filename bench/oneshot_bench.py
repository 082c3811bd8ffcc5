"""One-shot commands by hand: `papertrend report` and `papertrend ingest DAY --refresh-days 0` of a loaded day.

Each is run as a person would, a fresh `papertrend` process, first with no
Prefect server (so papertrend starts a temporary one per command: the naive
baseline), then with the local server of `papertrend server start` running,
in the same run. Targets with the server: report <= 5 s, ingest <= 3 s.

    python bench/oneshot_bench.py [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAPERTREND = [sys.executable, "-m", "papertrend.cli"]
TARGETS = {"report": 5.0, "ingest": 3.0}


def papertrend(args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one `papertrend` command; it must succeed."""
    began = time.perf_counter()
    done = subprocess.run([*PAPERTREND, *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"papertrend {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the demo warehouse here (default: a temporary folder)")
    args = parser.parse_args()

    from digest_replay.server import ReplayServer
    from digest_replay.synthetic.hf import generate_corpus

    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        data, corpus = base / "data", base / "corpus"
        if not corpus.exists():
            generate_corpus(corpus, days=60, papers_per_day=25, seed=7)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERTREND_", "PREFECT_API_URL"))}
        env |= {"PAPERTREND_DATA_DIR": str(data), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
        print(f"building the demo warehouse in {data} ...", flush=True)
        papertrend(["demo", "--corpus", str(corpus)], env)
        with ReplayServer(corpus) as server:
            replay = env | {
                "PAPERTREND_HF_BASE_URL": server.base_url,
                "PAPERTREND_HF_API_INTERVAL": "0",
                "PAPERTREND_ARXIV_BASE_URL": server.base_url,
                "PAPERTREND_ARXIV_API_URL": server.base_url,
                "PAPERTREND_ARXIV_INTERVAL": "0",
                "PAPERTREND_ARXIV_LISTING_PATH": "/list/{category}/new?date={date}",
            }
            day = max(p.name[:10] for p in (corpus / "hf-daily-api").iterdir())
            commands = {"report": ["report"], "ingest": ["ingest", day, "--refresh-days", "0"]}
            figures: dict[tuple[str, str], list[float]] = {}
            if (data / "prefect" / "server.json").exists():  # a --keep dir from an interrupted run
                papertrend(["server", "stop"], env)
            for mode in ("temporary server", "server start"):
                if mode == "server start":
                    print("starting the local Prefect server ...", flush=True)
                    papertrend(["server", "start"], env)
                try:
                    for name, command in commands.items():
                        figures[(name, mode)] = [papertrend(command, replay) for _ in range(args.runs)]
                finally:
                    if mode == "server start":
                        papertrend(["server", "stop"], env)

    print(f"\n{'command':<44} {'temporary server (naive)':>26} {'with `server start`':>22} {'ratio':>6} target")
    for name, command in commands.items():
        naive, served = figures[(name, "temporary server")], figures[(name, "server start")]
        n, s = statistics.median(naive), statistics.median(served)
        ok = "ok" if s <= TARGETS[name] else "MISSED"
        runs = lambda xs: " / ".join(f"{x:.1f}" for x in xs)  # noqa: E731
        print(
            f"papertrend {' '.join(command):<33} {runs(naive) + ' s':>26} {runs(served) + ' s':>22} "
            f"{n / s:>5.1f}x <= {TARGETS[name]:.0f} s {ok}"
        )
    print(f"\n(median of {args.runs} runs each; each command is a fresh process, as typed by hand)")


if __name__ == "__main__":
    main()
