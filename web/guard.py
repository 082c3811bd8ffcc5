"""What every request and response goes through: size caps, security headers, the client's address, CSRF.

No page runs script, so the Content-Security-Policy allows none; styles come
from our own file. Forms carry a CSRF token equal to a cookie only our pages
set (double submit; the cookie is SameSite=Strict), compared in constant time.
Tokens travel in our URLs, so no page sends a Referer anywhere.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.errors import PapertrendError

MAX_BODY = 16_384  # bytes of a form: far more than any of ours needs
MAX_QUERY = 1_024  # bytes of a query string
MAX_FIELD = 2_000  # characters of one form field
CSRF_COOKIE = "papertrend_csrf"
CSRF_FIELD = "csrf"
HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=()"),
]


class FormRefused(PapertrendError):
    """A form cannot be taken: too big, a field too long, or its CSRF token missing or wrong."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Guard:
    """ASGI middleware: refuses oversize bodies and query strings, adds the security headers to every answer."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app, self.https = app, https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY:
            await _plain(send, 414, "The address is too long; shorten the search.")
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            await _plain(send, 413, f"The form is too large (over {MAX_BODY} bytes); shorten it and send it again.")
            return
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY:  # a chunked body without a length
                raise FormRefused("the form is too large", 413)
            return message

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += HEADERS
                if self.https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, capped, secured)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + HEADERS})
    await send({"type": "http.response.body", "body": body})


def client_address(request: Request, trusted_proxy: str) -> str:
    """The client's IP address: the peer's, or, when the peer is `trusted_proxy`, the last address its
    X-Forwarded-For names (the one it saw; what a client writes into the header itself comes before)."""
    peer = request.client.host if request.client else "unknown"
    if trusted_proxy and peer == trusted_proxy:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return peer
    return peer


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser: its cookie's, or a fresh one (set_csrf_cookie stores it)."""
    known = request.cookies.get(CSRF_COOKIE, "")
    return known if len(known) == 32 and known.isalnum() else secrets.token_hex(16)


async def read_form(request: Request, *, csrf: bool = True) -> dict[str, str]:
    """The urlencoded form of `request` (every field capped at MAX_FIELD characters), its CSRF token checked
    against the cookie unless `csrf` is False (RFC 8058's one-click POST, authenticated by its URL's token).
    Raises FormRefused."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise FormRefused("send the form from our page (application/x-www-form-urlencoded)", 415)
    try:
        body = (await request.body()).decode("utf-8")
        fields = dict(parse_qsl(body, keep_blank_values=True, max_num_fields=50, strict_parsing=False))
    except (UnicodeDecodeError, ValueError):
        raise FormRefused("the form could not be read; send it again from our page", 400) from None
    if any(len(value) > MAX_FIELD for value in fields.values()):
        raise FormRefused(f"a field is longer than {MAX_FIELD} characters; shorten it", 400)
    if csrf:
        check_csrf(request, fields)
    return fields


def check_csrf(request: Request, fields: dict[str, str]) -> None:
    """Raise FormRefused unless the form's CSRF token equals this browser's cookie (constant time)."""
    cookie, sent = request.cookies.get(CSRF_COOKIE, ""), fields.get(CSRF_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise FormRefused("this form has expired or was not sent from our page; reload the page and send it again", 403)
