"""A local stand-in for the real sites: serves a corpus at their real paths, with fault injection.

`/api/daily_papers?date=D` returns the captured API body as-is (quirks and all);
`/papers/date/D` returns a captured HTML page for D when the corpus has one,
otherwise a page rendered in Hugging Face's real structure from the API body.
A date with no capture answers `[]`, as the real API does on a weekend.
"""

from __future__ import annotations

import hashlib
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from common.errors import PapertrendError
from digest_replay.arxiv_corpus import ArxivCorpus
from digest_replay.arxiv_routes import arxiv_response
from digest_replay.corpus import Corpus
from digest_replay.hf_pages import render_daily_page

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FAULT_KINDS = ("status", "drip", "stall", "truncate", "disconnect", "malformed", "oversize")


@dataclass
class Fault:
    """Misbehave on requests whose path+query contains `match`, `times` times (None: always)."""

    kind: str  # one of FAULT_KINDS
    match: str = ""
    times: int | None = None
    status: int = 503  # for kind="status"
    retry_after: str | None = None
    delay: float = 0.5  # for kind="drip": seconds between chunks; "stall": before answering
    chunk: int = 64  # for kind="drip": bytes per chunk
    size: int = 50_000_000  # for kind="oversize": body bytes

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse `KIND[:ARG]@MATCH[*TIMES]`, e.g. `429:2@date=2024-05-28*1`, `drip:0.5@2024-06`, `malformed@06-03`."""
        head, _, rest = spec.partition("@")
        match, _, times = rest.partition("*")
        kind, _, arg = head.partition(":")
        fault = cls(kind="status", status=int(kind)) if kind.isdigit() else cls(kind=kind)
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; use a status code or one of {', '.join(FAULT_KINDS)}")
        fault.match, fault.times = match, int(times) if times else None
        if arg and fault.kind == "status":
            fault.retry_after = arg
        elif arg and fault.kind in ("drip", "stall"):
            fault.delay = float(arg)
        elif arg and fault.kind == "oversize":
            fault.size = int(arg)
        return fault


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: object) -> None:
        # A client that stops reading (a byte cap, a deadline) is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class PortUnavailable(PapertrendError, OSError):
    """The replay server cannot listen on the port asked for (another process holds it)."""


class PortOutOfRange(PortUnavailable, ValueError):
    """The port asked for is not a TCP port number (0 to 65535)."""


class ReplayServer:
    """Serve a corpus on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self, corpus: Path, *, faults: list[Fault] | None = None, port: int = 0) -> None:
        """Bind 127.0.0.1:`port` (0: a free one); raises PortOutOfRange or PortUnavailable."""
        self.corpus = Corpus(corpus)
        self.arxiv = ArxivCorpus(corpus)
        self.faults = list(faults or [])
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request, for politeness tests
        self._lock = threading.Lock()
        self._server = _listening(port, _handler_for(self))
        # A short poll keeps stop() quick: shutdown waits for the next poll.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        if not isinstance(host, str):  # the stubs allow a bytes host; a bound server reports a str
            host = host.decode("ascii")
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        """Start serving in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def take_fault(self, target: str) -> Fault | None:
        """The first armed fault matching `target`, consuming one of its `times`."""
        with self._lock:
            for fault in self.faults:
                if fault.match in target and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def body_for(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes, str] | None:
        """(status, body, content type) for a request path, or None for a path the real sites do not serve."""
        if path == "/api/daily_papers":
            day = (query.get("date") or [""])[0]
            if not _DATE.match(day):
                return None
            return 200, self.corpus.api_body(day) or b"[]", "application/json; charset=utf-8"
        match = re.fullmatch(r"/papers/date/(\d{4}-\d{2}-\d{2})", path)
        if match is None and path == "/papers" and _DATE.match((query.get("date") or [""])[0]):
            match = re.fullmatch(r"(.*)", query["date"][0])
        if match:
            return 200, self._page(match.group(1)), "text/html; charset=utf-8"
        return arxiv_response(self.arxiv, path, query)

    def _page(self, day: str) -> bytes:
        # A captured digest page when there is one, else one rendered from the API capture (or from `[]`).
        return self.corpus.captured_page(day) or render_daily_page(self.corpus.api_body(day) or b"[]", day)


class _ReplayHandler(BaseHTTPRequestHandler):
    """A request handler that can answer with one complete response; the fault injection uses it too."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_ReplayHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet: tests read server.requests
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with server._lock:
                server.requests.append((self.path, dict(self.headers.items())))
                server.arrivals.append(time.monotonic())
            found = server.body_for(parts.path, parse_qs(parts.query))
            if found is None:
                return self._send(404, b'{"error":"Not Found"}', "application/json")
            status, body, content_type = found
            fault = server.take_fault(self.path)
            if fault is not None:
                return _misbehave(self, fault, body, content_type)
            if status != 200:
                return self._send(status, body, content_type)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", content_type, {"ETag": etag})
            self._send(200, body, content_type, {"ETag": etag})

    return Handler


def _misbehave(handler: _ReplayHandler, fault: Fault, body: bytes, content_type: str) -> None:
    if fault.kind == "status":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        return handler._send(fault.status, b'{"error":"injected"}', "application/json", headers)
    if fault.kind == "stall":  # silence before the status line
        time.sleep(fault.delay)
        return handler._send(200, body, content_type)
    if fault.kind == "truncate":  # a complete response whose body was cut short upstream
        return handler._send(200, body[: len(body) // 2], content_type)
    if fault.kind == "malformed":  # the page's structure is gone
        junk = b"<html><body><p>Something went wrong</p></body></html>" if b"<" in body[:100] else b"{oops"
        return handler._send(200, junk, content_type)
    if fault.kind == "oversize":
        return handler._send(200, b" " * fault.size, content_type)
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if fault.kind == "disconnect":  # the connection dies mid-body
        handler.wfile.write(body[: len(body) // 2])
        handler.close_connection = True
        return None
    try:
        for start in range(0, len(body), fault.chunk):  # drip: every chunk in time, the whole too slow
            handler.wfile.write(body[start : start + fault.chunk])
            handler.wfile.flush()
            time.sleep(fault.delay)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True  # the client gave up, as it should
    return None


def _listening(port: int, handler: type[BaseHTTPRequestHandler]) -> _QuietServer:
    if not 0 <= port <= 65535:
        raise PortOutOfRange(f"port {port} is not a TCP port (0 to 65535; 0 picks a free one)")
    try:
        return _QuietServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise PortUnavailable(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
