import gzip
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flows.http import (
    BodyUndecodable,
    DeadlineExceeded,
    Fetcher,
    FetchPolicy,
    FetchRefused,
    HostThrottle,
    RateLimited,
    ResponseTooLarge,
    RetriesExhausted,
    parse_retry_after,
)
from tests.factories import arm

FAST = FetchPolicy(
    min_interval=0,
    attempts=3,
    backoff=0.01,
    deadline=5,
    read_timeout=5,
    user_agent="papertrend-test (+mailto:team@example.org)",
)
API = "/api/daily_papers?date=2026-04-06"


class Sleeps(list):
    """Records every wait the throttle asks for (and does not actually wait)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetcher(policy=FAST, sleeps=None) -> Fetcher:
    return Fetcher(policy, throttle=HostThrottle(sleep=sleeps if sleeps is not None else Sleeps()))


def test_a_plain_get_returns_body_validators_and_sends_our_user_agent(site):
    with fetcher() as f:
        got = f.get(site.base_url + API)
    assert got.status == 200 and got.body.startswith(b"[") and got.etag
    assert site.requests[-1][1]["User-Agent"] == "papertrend-test (+mailto:team@example.org)"


def test_conditional_get_comes_back_not_modified(site):
    with fetcher() as f:
        first = f.get(site.base_url + API)
        second = f.get(site.base_url + API, etag=first.etag)
    assert second.not_modified and second.body == b""
    assert site.requests[-1][1]["If-None-Match"] == first.etag


def test_429_with_retry_after_is_waited_out_and_retried(site):
    arm(site, f"429:7@{API}*1")
    sleeps = Sleeps()
    with fetcher(sleeps=sleeps) as f:
        got = f.get(site.base_url + API)
    assert (got.status, got.attempts) == (200, 2)
    assert len(sleeps) == 1 and 6.5 < sleeps[0] <= 7.0


@pytest.mark.slow  # over 1 s: make test-fast stays under a minute
def test_a_real_retry_after_wait_happens_on_the_clock(site):
    arm(site, f"503:1@{API}*1")
    import time

    with Fetcher(FAST, throttle=HostThrottle()) as f:  # a throttle that really sleeps
        started = time.monotonic()
        got = f.get(site.base_url + API)
    assert got.attempts == 2 and time.monotonic() - started >= 1.0


def test_permanent_503_gives_up_after_the_configured_attempts(site):
    arm(site, f"503@{API}")
    sleeps = Sleeps()
    with fetcher(sleeps=sleeps) as f, pytest.raises(RetriesExhausted, match="gave up after 3 attempt"):
        f.get(site.base_url + API)
    assert len([r for r in site.requests if r[0] == API]) == 3
    assert len(sleeps) == 2 and sleeps[1] >= sleeps[0]  # backoff grows (jitter stays within each step)


def test_a_retry_after_beyond_our_patience_stops_at_once_as_rate_limited(site):
    arm(site, f"429:86400@{API}")
    with fetcher() as f, pytest.raises(RateLimited, match="Retry-After 86400s exceeds our limit"):
        f.get(site.base_url + API)
    assert len(site.requests) == 1


def test_429_to_the_last_attempt_is_rate_limited_not_just_exhausted(site):
    arm(site, f"429:1@{API}")
    with fetcher() as f, pytest.raises(RateLimited, match="gave up after 3 attempt"):
        f.get(site.base_url + API)


def test_a_retry_after_holds_back_other_urls_on_the_same_host():
    now, sleeps = [100.0], Sleeps()
    throttle = HostThrottle(clock=lambda: now[0], sleep=sleeps)
    throttle.defer("huggingface.co", 30)
    throttle.wait("huggingface.co", 1.0)
    throttle.wait("arxiv.org", 1.0)
    assert sleeps == [30.0]


def test_404_is_not_retried(site):
    with fetcher() as f, pytest.raises(FetchRefused, match="HTTP 404"):
        f.get(site.base_url + "/api/nothing-here")
    assert len(site.requests) == 1


def test_a_drip_fed_body_hits_the_total_deadline(site):
    arm(site, f"drip:0.05@{API}")
    policy = FetchPolicy(min_interval=0, attempts=1, deadline=0.3, read_timeout=5)
    with fetcher(policy) as f, pytest.raises(RetriesExhausted) as caught:
        f.get(site.base_url + API)
    assert isinstance(caught.value.__cause__, DeadlineExceeded)


def test_a_server_that_stalls_before_answering_is_cut_off_at_the_deadline(site):
    import time

    arm(site, f"stall:10@{API}")
    policy = FetchPolicy(min_interval=0, attempts=1, deadline=0.5, read_timeout=30)
    started = time.monotonic()
    with fetcher(policy) as f, pytest.raises(RetriesExhausted) as caught:
        f.get(site.base_url + API)
    assert isinstance(caught.value.__cause__, DeadlineExceeded)
    assert time.monotonic() - started < 5  # cut at the 0.5 s deadline, not after the 10 s stall


def test_an_oversize_body_is_cut_at_the_cap(site):
    arm(site, f"oversize:3000000@{API}")
    policy = FetchPolicy(min_interval=0, attempts=1, max_bytes=100_000)
    with fetcher(policy) as f, pytest.raises(ResponseTooLarge, match="cap of 100000") as caught:
        f.get(site.base_url + API)
    assert len(caught.value.partial.body) == 100_000


def test_a_dropped_connection_is_retried_as_transient(site):
    arm(site, f"disconnect@{API}*1")
    with fetcher() as f:
        assert f.get(site.base_url + API).attempts == 2


BOMB = gzip.compress(b"\0" * 50_000_000)


class _Gzipped(BaseHTTPRequestHandler):
    """Serves a gzip bomb at /bomb and a corrupt gzip stream elsewhere."""

    def do_GET(self):
        body = BOMB if self.path == "/bomb" else b"\x1f\x8b\x08\x00garbage-not-deflate"
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def gzip_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gzipped)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_compression_bomb_is_cut_at_the_cap_without_inflating_it(gzip_site):
    import tracemalloc

    policy = FetchPolicy(min_interval=0, attempts=1, max_bytes=1_000_000)
    tracemalloc.start()
    try:
        with fetcher(policy) as f, pytest.raises(ResponseTooLarge) as caught:
            f.get(f"{gzip_site}/bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(caught.value.partial.body) == 1_000_000
    assert peak < 8_000_000  # a whole-chunk inflate would reach ~60 MB


def test_a_corrupt_compressed_body_is_refused_not_retried(gzip_site):
    with fetcher() as f, pytest.raises(BodyUndecodable, match="corrupt gzip body"):
        f.get(f"{gzip_site}/corrupt")


def test_the_throttle_spaces_request_starts_per_host():
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)

    throttle = HostThrottle(clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        throttle.wait("huggingface.co", 2.0)
    throttle.wait("arxiv.org", 2.0)
    assert sleeps == [2.0, 4.0]


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2026, 4, 10, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Fri, 10 Apr 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
