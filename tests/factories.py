"""Shared builders for tests: records and raw pages, a tiny corpus, a held lock, flow runs with settings.

Tests import builders from here, never from another test module.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from common.records import PaperRecord
from common.sources import HF, HF_API_FOLDER
from digest_replay.server import Fault, ReplayServer
from extractors.hf_daily_json import parse_daily_api
from flows.indexing import refresh_phrase_index
from flows.settings import Settings, settings_in_use
from papertrend.demo import replay_overrides
from warehouse.db import connect
from warehouse.load import PageResult, RawPage, load_pages

FIXTURES = Path(
    os.environ.get(
        "PAPERTREND_TEST_FIXTURES", (Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures").resolve()
    )
)
GOLDEN = Path(__file__).resolve().parent / "golden"
OBSERVED = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)  # extractor tests' observation time
T0 = datetime(2026, 4, 10, 8, 0)
DAY = date(2026, 4, 10)
DAYS = ["2026-04-06", "2026-04-07", "2026-04-08"]  # the days of the tiny corpus
Result = TypeVar("Result")

__all__ = [
    "DAY",
    "DAYS",
    "FIXTURES",
    "GOLDEN",
    "OBSERVED",
    "T0",
    "PageResult",
    "RawPage",
    "arm",
    "as_json",
    "check_golden",
    "entry",
    "fixtures_or_skip",
    "held_by_another_process",
    "load_corpus",
    "load_pages",
    "overrides_for",
    "page",
    "record",
    "run_flow",
    "write_tiny_corpus",
]


def fixtures_or_skip() -> Path:
    """The real captures; skipped when absent on a user's clone, an error in CI."""
    if (FIXTURES / HF_API_FOLDER).is_dir():
        return FIXTURES
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the real captures are missing at {FIXTURES}")
    pytest.skip(f"real captures not found at {FIXTURES} (they live in ../shared/fixtures, outside the repo)")


def as_json(records: Any) -> list[dict[str, Any]]:
    """Records as the JSON a golden file holds."""
    return json.loads(json.dumps([asdict(r) for r in records], default=str))


def check_golden(name: str, records: Any, folder: str = "hf") -> None:
    """Compare records with tests/golden/<folder>/<name>.expected.json (UPDATE_GOLDEN=1 rewrites it)."""
    golden = GOLDEN / folder / f"{name}.expected.json"
    actual = as_json(records)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n")
    assert actual == json.loads(golden.read_text())


def overrides_for(data_dir: Path, base_url: str, **extra: Any) -> dict[str, Any]:
    """Settings that point the flows at a replay server and keep retries quick."""
    settings = Settings.load(data_dir=data_dir)
    return {**replay_overrides(settings, base_url), "fetch_backoff": 0.01, "fetch_attempts": 2, **extra}


def page(sha: str = "a" * 64, day: date = DAY, at: datetime = T0, url: str | None = None) -> RawPage:
    """A raw_pages row of an HF API page."""
    return RawPage(
        url=url or f"http://hf/api/daily_papers?date={day}",
        sha256=sha,
        source=HF,
        kind="api",
        digest_date=day,
        status=200,
        fetched_at=at,
        size=10,
    )


def record(
    arxiv_id: str = "2604.00001", rank: int = 1, upvotes: int = 1, day: date = DAY, at: datetime = T0, **extra: Any
) -> PaperRecord:
    """An HF sighting of a paper."""
    return PaperRecord(
        arxiv_id=arxiv_id,
        source=HF,
        digest_date=day,
        rank=rank,
        title=f"Paper {arxiv_id}",
        observed_at=at,
        upvotes=upvotes,
        abstract="An abstract.",
        authors=("A. Author", "B. Author"),
        **extra,
    )


def entry(arxiv_id: str, title: str, upvotes: int) -> dict[str, Any]:
    """One HF API entry, in the shape of the real captures."""
    return {
        "paper": {
            "id": arxiv_id,
            "title": title,
            "summary": f"We study {title.lower()}.",
            "authors": [{"_id": "x", "name": "Søren Müller", "hidden": False}],
            "publishedAt": "2026-04-05T00:00:00.000Z",
            "upvotes": upvotes,
        },
        "publishedAt": "2026-04-05T20:00:00.000Z",
        "title": title,
        "numComments": 1,
    }


def write_tiny_corpus(root: Path) -> Path:
    """Three HF days of three papers each under `root`."""
    (root / HF_API_FOLDER).mkdir(parents=True)
    for n, day in enumerate(DAYS):
        entries = [entry(f"2604.0{n}00{i}", f"Paper {n}-{i} on test-time compute", 10 - i) for i in range(3)]
        (root / HF_API_FOLDER / f"{day}.json").write_text(json.dumps(entries))
    return root


HOLD_LIMIT = 300.0  # seconds a held request waits at most, so a failing test cannot hang the server


class HoldingReplay(ReplayServer):
    """A replay server that holds the request for one day until the test releases it: the backfill is then
    at a known point, its earlier batches loaded and the rest to come."""

    def __init__(self, corpus, held_day):
        super().__init__(corpus)
        self.held_day = held_day
        self.reached, self.released = threading.Event(), threading.Event()

    def body_for(self, path, query):
        if query.get("date") == [self.held_day]:
            self.reached.set()
            self.released.wait(HOLD_LIMIT)
        return super().body_for(path, query)


def arm(server: ReplayServer, spec: str) -> Fault:
    """Make the replay server misbehave as `spec` says (see Fault.parse)."""
    fault = Fault.parse(spec)
    server.faults.append(fault)
    return fault


def run_flow(overrides: dict[str, Any], flow: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """Run a flow with the settings `overrides` resolve to, as the command line hands them over."""
    with settings_in_use(Settings.load(**overrides)):
        return flow(*args, **kwargs)


def load_corpus(root: Path, path: Path) -> Path:
    """Load every `root/hf-daily-api/*.json.gz` into the warehouse at `path`, with its phrase index."""
    results = []
    for file in sorted((root / HF_API_FOLDER).glob("*.json.gz")):
        day = date.fromisoformat(file.name[:10])
        body = gzip.decompress(file.read_bytes())
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=20)
        raw = RawPage(
            url=f"http://hf/{day}",
            sha256=f"{day}".ljust(64, "0"),
            source=HF,
            kind="api",
            digest_date=day,
            status=200,
            fetched_at=at,
            size=len(body),
        )
        results.append(PageResult(raw, parse_daily_api(body, digest_date=day, observed_at=at)))
    with connect(path) as con:
        load_pages(con, results, run_id="test")
        refresh_phrase_index(con)
    return path


@contextmanager
def held_by_another_process(path: Path) -> Iterator[None]:
    """Keep `path` open read-write in a second process (DuckDB then refuses every other process)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def add_hf_papers(root: Path, day: date, papers: list[dict[str, Any]]) -> None:
    """Append papers to the HF API capture of `day` under `root` (a generated corpus), in HF's own schema:
    each dict overrides fields of a copy of that day's first entry's `paper` (id, title, summary, ...)."""
    path = root / HF_API_FOLDER / f"{day.isoformat()}.json.gz"
    entries = json.loads(gzip.decompress(path.read_bytes()))
    for fields in papers:
        template = json.loads(json.dumps(entries[0]))
        template["paper"].update(fields)
        template["title"], template["summary"] = template["paper"]["title"], template["paper"]["summary"]
        entries.append(template)
    path.write_bytes(gzip.compress(json.dumps(entries, ensure_ascii=False).encode("utf-8"), mtime=0))


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, as PEM files (cert, key): a private relay's CA."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "papertrend test relay")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def plant_token(data_dir: Path, address: str) -> str:
    """A message's token for `address`, claimed as the email flow claims one (only its hash is stored)."""
    from warehouse import email_log
    from warehouse.audience import connect_audience
    from warehouse.subscribers import find_subscriber, new_token, token_hash

    token = new_token()
    with connect_audience(data_dir / "audience.sqlite3") as store:
        sub = find_subscriber(store, address)
        assert sub is not None and sub.id is not None
        email_log.claim(store, "2026-W17", [email_log.Claim(sub.id, "<m@x>", token_hash(token))])
    return token


# Scraped strings that try to become markup, script, a handler or a foreign link: every page and message
# must show them as text (tests/web, tests/reports/test_render.py).
HOSTILE_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)> Zyxquorp hostile title'
HOSTILE_ABSTRACT = (
    'Zyxquorp abstract"><svg onload=alert(2)><a href="javascript:alert(3)">click</a> <iframe src=//evil.test>'
)
HOSTILE_AUTHOR = "<b onmouseover=alert(4)>Mallory</b>"
HOSTILE_GITHUB = "javascript:alert(5)//github.com/evil/repo"
HOSTILE_ID = "2501.06666"


def add_hostile_paper(root: Path, day: date) -> None:
    """Plant a paper whose title, abstract, author and GitHub link are hostile into the corpus at `root`."""
    add_hf_papers(
        root,
        day,
        [
            {
                "id": HOSTILE_ID,
                "title": HOSTILE_TITLE,
                "summary": HOSTILE_ABSTRACT,
                "authors": [{"_id": "h", "name": HOSTILE_AUTHOR, "hidden": False}],
                "githubRepo": HOSTILE_GITHUB,
                "upvotes": 999,
            }
        ],
    )
