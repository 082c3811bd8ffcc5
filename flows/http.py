"""Polite HTTP fetching: per-host spacing, timeouts, a total deadline, retries, byte caps.

Transient failures (429, 5xx, transport errors, a blown deadline) are retried
with exponential backoff and jitter, honouring Retry-After; other 4xx are
terminal. Conditional GET is used when the caller knows an ETag/Last-Modified.
"""
from __future__ import annotations

import atexit
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
DEFAULT_USER_AGENT = "papertrend/0.1 (+https://github.com/papertrend/papertrend)"


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how patiently we fetch from one source."""

    min_interval: float = 1.0          # seconds between request starts to one host
    connect_timeout: float = 10.0
    read_timeout: float = 30.0         # longest silence between two chunks
    deadline: float = 60.0             # whole response, first byte sent to last byte read
    attempts: int = 4                  # tries in all, including the first
    backoff: float = 1.0               # first retry waits about this long, then doubles
    backoff_max: float = 60.0
    retry_after_max: float = 300.0     # a longer Retry-After means: give up and report
    max_bytes: int = 20_000_000        # per response body, decoded
    user_agent: str = DEFAULT_USER_AGENT


@dataclass(frozen=True)
class Fetched:
    """A response we keep: the body and what conditional GET needs next time."""

    url: str
    status: int
    body: bytes
    fetched_at: datetime
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """A URL could not be fetched."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url


class TransientFetchError(FetchError):
    """A failure that may succeed later (429, 5xx, network trouble, a slow body)."""

    def __init__(self, message: str, *, url: str, retry_after: float | None = None) -> None:
        super().__init__(message, url=url)
        self.retry_after = retry_after


class DeadlineExceeded(TransientFetchError):
    """The response did not finish within the total deadline."""


class RetriesExhausted(FetchError):
    """Every attempt failed transiently; the last error is attached as the cause."""


class FetchRefused(FetchError):
    """The server answered with a status retrying will not fix (404, 403, 410, ...)."""

    def __init__(self, message: str, *, url: str, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class ResponseTooLarge(FetchError):
    """The body passed the byte cap; the part read so far is attached, cut at the cap."""

    def __init__(self, message: str, *, url: str, partial: Fetched) -> None:
        super().__init__(message, url=url)
        self.partial = partial


class HostThrottle:
    """Process-wide spacing of request starts per host, shared by all fetchers."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self, host: str, interval: float) -> None:
        """Block until a request to `host` may start, and reserve that slot."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + interval
        if start > now:
            self._sleep(start - now)


THROTTLE = HostThrottle()


@dataclass
class Fetcher:
    """Fetches URLs under one policy. Create one per source; close it when done."""

    policy: FetchPolicy = field(default_factory=FetchPolicy)
    throttle: HostThrottle = THROTTLE
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None   # tests only: conditions no server produces

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            timeout=httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout),
            headers={"User-Agent": self.policy.user_agent},
            follow_redirects=True,
            transport=self.transport,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """Fetch `url`, retrying transient failures.

        Raises RetriesExhausted, FetchRefused or ResponseTooLarge; a 304 comes
        back as a Fetched with `not_modified` set and an empty body.
        """
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        for attempt in range(1, self.policy.attempts + 1):
            self.throttle.wait(urlsplit(url).netloc, self.policy.min_interval)
            try:
                fetched = self._get_once(url, headers)
            except TransientFetchError as exc:
                delay = self._retry_delay(attempt, exc)
                if attempt == self.policy.attempts or delay is None:
                    raise RetriesExhausted(f"gave up after {attempt} attempt(s): {exc}", url=url) from exc
                self.sleep(delay)
                continue
            return replace(fetched, attempts=attempt)
        raise AssertionError("unreachable: the loop returns or raises")

    def _retry_delay(self, attempt: int, exc: TransientFetchError) -> float | None:
        if exc.retry_after is not None:
            return exc.retry_after if exc.retry_after <= self.policy.retry_after_max else None
        # Exponential backoff with jitter, so retrying clients do not synchronise.
        ceiling = min(self.policy.backoff * 2 ** (attempt - 1), self.policy.backoff_max)
        return random.uniform(ceiling / 2, ceiling)

    def _get_once(self, url: str, headers: dict[str, str]) -> Fetched:
        deadline = time.monotonic() + self.policy.deadline
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                _raise_for_status(response)
                body, truncated = self._read_capped(response, deadline)
        except httpx.TransportError as exc:
            raise TransientFetchError(f"{type(exc).__name__}: {exc}", url=url) from exc
        fetched = Fetched(
            url=url, status=response.status_code, body=body, fetched_at=datetime.now(timezone.utc),
            content_type=response.headers.get("content-type"), etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )
        if truncated:
            raise ResponseTooLarge(f"body exceeds the cap of {self.policy.max_bytes} bytes; kept the first "
                                   f"{len(body)} (raise max_bytes if this page is legitimately big)",
                                   url=url, partial=fetched)
        return fetched

    def _read_capped(self, response: httpx.Response, deadline: float) -> tuple[bytes, bool]:
        # Count as we stream, on the decoded bytes we hold and on the raw bytes
        # received, so neither a huge body nor a compression bomb is ever held whole.
        cap, chunks, size = self.policy.max_bytes, [], 0
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise DeadlineExceeded(f"body not complete within the {self.policy.deadline:g}s deadline "
                                       f"({size} bytes read)", url=str(response.url))
            chunks.append(chunk)
            size += len(chunk)
            if size > cap or response.num_bytes_downloaded > cap:
                return b"".join(chunks)[:cap], True
        return b"".join(chunks), False


def _raise_for_status(response: httpx.Response) -> None:
    status, url = response.status_code, str(response.url)
    if status in RETRYABLE_STATUS:
        raise TransientFetchError(f"HTTP {status}", url=url,
                                  retry_after=parse_retry_after(response.headers.get("retry-after")))
    if status >= 400:
        raise FetchRefused(f"HTTP {status} (not retried: the request itself is refused)", url=url, status=status)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


_SHARED: dict[FetchPolicy, Fetcher] = {}
_SHARED_LOCK = threading.Lock()


def shared_fetcher(policy: FetchPolicy) -> Fetcher:
    """One long-lived fetcher per policy in this process.

    Building an httpx client costs ~25 ms (TLS context), and a shared one keeps
    connections alive across Prefect tasks; httpx clients are thread-safe.
    """
    with _SHARED_LOCK:
        if policy not in _SHARED:
            _SHARED[policy] = Fetcher(policy)
        return _SHARED[policy]


@atexit.register
def _close_shared() -> None:
    for fetcher in _SHARED.values():
        fetcher.close()
