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
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from common.errors import PapertrendError

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
ERROR_BODY_BYTES = 65_536
DEFAULT_USER_AGENT = "papertrend/0.1 (+https://github.com/papertrend/papertrend)"


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how patiently we fetch from one source."""

    min_interval: float = 1.0  # seconds between request starts to one host
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # longest silence between two chunks
    deadline: float = 60.0  # whole response, first byte sent to last byte read
    attempts: int = 4  # tries in all, including the first
    backoff: float = 1.0  # first retry waits about this long, then doubles
    backoff_max: float = 60.0
    retry_after_max: float = 300.0  # a longer Retry-After means: give up and report
    max_bytes: int = 20_000_000  # per response body, decoded
    max_connections: int | None = None  # arXiv asks for one connection at a time
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


class FetchError(PapertrendError):
    """A URL could not be fetched."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url


class TransientFetchError(FetchError):
    """A failure that may succeed later (429, 5xx, network trouble, a slow body)."""

    def __init__(self, message: str, *, url: str, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message, url=url)
        self.retry_after = retry_after
        self.status = status


class DeadlineExceeded(TransientFetchError):
    """The response did not finish within the total deadline."""


class RetriesExhausted(FetchError):
    """Every attempt failed transiently; the last error is attached as the cause."""


class RateLimited(FetchError):
    """The host keeps refusing us for now (429 to the last attempt, or a Retry-After beyond our patience).

    Other URLs on the same host will be refused too: stop fetching from it.
    """


class BodyUndecodable(FetchError):
    """The body's Content-Encoding is unknown or its compressed stream is corrupt."""


class FetchRefused(FetchError):
    """The server answered with a status retrying will not fix (404, 403, 410, ...)."""

    def __init__(self, message: str, *, url: str, status: int, body: bytes = b"") -> None:
        super().__init__(message, url=url)
        self.status = status
        self.body = body  # the start of the error body: APIs explain themselves there


class ResponseTooLarge(FetchError):
    """The body passed the byte cap; the part read so far is attached, cut at the cap."""

    def __init__(self, message: str, *, url: str, partial: Fetched) -> None:
        super().__init__(message, url=url)
        self.partial = partial


def http_url_problem(name: str, url: str) -> str | None:
    """Why the setting `name` = `url` cannot be a site we fetch from (an http(s) URL with a host), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{name} must be an http(s) URL, not {url!r}"
    return None


def stop_reason(exc: FetchError, site: str) -> str | None:
    """Why the host told us to stop fetching from it altogether, or None when it did not.

    A rate limit beyond our patience, or a 403 (arXiv's answer to clients that
    ignore its terms): other URLs on that host would be refused too.
    """
    if isinstance(exc, RateLimited):
        return str(exc)
    if isinstance(exc, FetchRefused) and exc.status == 403:
        return f"{site} refused us (HTTP 403): stop and check the User-Agent and request rate ({exc})"
    return None


class HostThrottle:
    """Process-wide spacing of request starts per host, shared by all fetchers."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
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

    def defer(self, host: str, seconds: float) -> None:
        """Let no request to `host` start for `seconds` (a Retry-After or a backoff applies to the host)."""
        with self._lock:
            now = self._clock()
            self._next[host] = max(self._next.get(host, now), now + seconds)


THROTTLE = HostThrottle()


@dataclass
class Fetcher:
    """Fetches URLs under one policy. Create one per source (or use `shared_fetcher`); close it when done."""

    policy: FetchPolicy = field(default_factory=FetchPolicy)
    throttle: HostThrottle = THROTTLE
    transport: httpx.BaseTransport | None = None  # tests only: conditions no server produces

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            # We decode bodies ourselves (see _read_capped), so only offer what we decode.
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=True,
            transport=self.transport,
            limits=httpx.Limits(max_connections=self.policy.max_connections),
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """Fetch `url`, retrying transient failures; waits go through the host's throttle.

        Raises RetriesExhausted, RateLimited, FetchRefused, BodyUndecodable or
        ResponseTooLarge; a 304 comes back as a Fetched with `not_modified` set.
        """
        host = urlsplit(url).netloc
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        for attempt in range(1, self.policy.attempts + 1):
            self.throttle.wait(host, self.policy.min_interval)
            try:
                return replace(self._get_once(url, headers), attempts=attempt)
            except TransientFetchError as exc:
                self._after_failure(host, url, attempt, exc)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _after_failure(self, host: str, url: str, attempt: int, exc: TransientFetchError) -> None:
        # Retry-After (or our backoff) holds back every request to the host, not just this one.
        if exc.retry_after is not None and exc.retry_after > self.policy.retry_after_max:
            raise RateLimited(
                f"Retry-After {exc.retry_after:g}s exceeds our limit of {self.policy.retry_after_max:g}s: {exc}",
                url=url,
            ) from exc
        if attempt == self.policy.attempts:
            kind = RateLimited if exc.status == 429 else RetriesExhausted
            raise kind(f"gave up after {attempt} attempt(s): {exc}", url=url) from exc
        if exc.retry_after is not None:
            delay = exc.retry_after
        else:
            # Exponential backoff with jitter, so retrying clients do not synchronise.
            ceiling = min(self.policy.backoff * 2 ** (attempt - 1), self.policy.backoff_max)
            delay = random.uniform(ceiling / 2, ceiling)
        self.throttle.defer(host, delay)

    def _get_once(self, url: str, headers: dict[str, str]) -> Fetched:
        # No single wait (connect, headers, one read) may outlast the deadline; with the
        # check between chunks, an attempt ends within twice the deadline at worst.
        policy = self.policy
        timeout = httpx.Timeout(
            min(policy.read_timeout, policy.deadline), connect=min(policy.connect_timeout, policy.deadline)
        )
        deadline = time.monotonic() + policy.deadline
        try:
            with self.client.stream("GET", url, headers=headers, timeout=timeout) as response:
                _raise_for_status(response)
                body, truncated = self._read_capped(response, deadline)
        except httpx.TimeoutException as exc:
            raise DeadlineExceeded(f"{type(exc).__name__}: no progress within the time allowed", url=url) from exc
        except httpx.TransportError as exc:
            raise TransientFetchError(f"{type(exc).__name__}: {exc}", url=url) from exc
        except httpx.HTTPError as exc:  # too many redirects, an invalid URL, ...
            raise FetchRefused(f"{type(exc).__name__}: {exc}", url=url, status=0) from exc
        fetched = Fetched(
            url=url,
            status=response.status_code,
            body=body,
            fetched_at=datetime.now(UTC),
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )
        if truncated:
            raise ResponseTooLarge(
                f"body exceeds the cap of {policy.max_bytes} bytes; kept the first "
                f"{len(body)} (raise max_bytes if this page is legitimately big)",
                url=url,
                partial=fetched,
            )
        return fetched

    def _read_capped(self, response: httpx.Response, deadline: float) -> tuple[bytes, bool]:
        # We read the raw stream and decompress it ourselves, never more than the
        # cap at a time: httpx's own decoder inflates a whole chunk at once, so a
        # 200 KB compression bomb could become 60 MB in memory before any check.
        cap = self.policy.max_bytes
        decoder = _Decoder(response.headers.get("content-encoding", ""), url=str(response.url))
        chunks, size = [], 0
        for raw in response.iter_raw():
            if time.monotonic() > deadline:
                raise DeadlineExceeded(
                    f"body not complete within the {self.policy.deadline:g}s deadline ({size} bytes read)",
                    url=str(response.url),
                )
            data = decoder.decode(raw, limit=cap + 1 - size)
            chunks.append(data)
            size += len(data)
            if size > cap or response.num_bytes_downloaded > cap:
                return b"".join(chunks)[:cap], True
        return b"".join(chunks), False


class _Decoder:
    """Incremental Content-Encoding decoder that never yields more than asked for."""

    def __init__(self, encoding: str, *, url: str) -> None:
        self.encoding, self.url = encoding.strip().lower(), url
        self._inflate: zlib._Decompress | None  # typeshed's name for what decompressobj() returns
        if self.encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._inflate = zlib.decompressobj()
        elif self.encoding in ("", "identity"):
            self._inflate = None
        else:
            raise BodyUndecodable(f"unsupported Content-Encoding {encoding!r}", url=url)

    def decode(self, raw: bytes, *, limit: int) -> bytes:
        if self._inflate is None:
            return raw
        try:
            data = self._inflate.decompress(raw, limit)
        except zlib.error as exc:
            raise BodyUndecodable(f"corrupt {self.encoding} body: {exc}", url=self.url) from exc
        # Anything left unconsumed would inflate past the limit: the caller cuts there.
        return data


def _raise_for_status(response: httpx.Response) -> None:
    status, url = response.status_code, str(response.url)
    if status in RETRYABLE_STATUS:
        raise TransientFetchError(
            f"HTTP {status}", url=url, status=status, retry_after=parse_retry_after(response.headers.get("retry-after"))
        )
    if status >= 400:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= ERROR_BODY_BYTES:
                break
        raise FetchRefused(
            f"HTTP {status} (not retried: the request itself is refused)",
            url=url,
            status=status,
            body=body[:ERROR_BODY_BYTES],
        )


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
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


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
