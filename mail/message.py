"""Turns a Digest into a MIME message: text and HTML parts, shared inline charts, safe headers.

Every header value that carries scraped text goes through header_text first:
Python 3.11.7's email package still folds a newline inside an encoded word
into a real header break (CVE-2024-6923), so nothing with a line break, NUL
or an encoded-word opener may reach it.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from urllib.parse import quote

import jinja2

from common.names import Cadence
from common.text import fold_spaces, shorten
from mail.digest import Digest, Period, personal_digest
from reports import links
from reports.templating import template_environment
from warehouse.subscribers import Subscriber

HTML_BUDGET = 100_000  # bytes of the HTML part: Gmail clips a message's HTML at 102 KB
MESSAGE_BUDGET = 1_000_000  # bytes of the whole message
SUBJECT_CHARS = 60  # of the scraped part of a subject
# Multipart boundaries: '=_' never occurs in quoted-printable or base64 text, so no part can hold them.
ALTERNATIVE, RELATED = "=_papertrend_alternative", "=_papertrend_related"
TEXT_ALLOWANCE = 100_000  # bytes kept for the headers and the text part within MESSAGE_BUDGET
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class Sender:
    """Who the messages are from and where unsubscribes go (from the [email] settings)."""

    from_address: str
    from_name: str = "papertrend"
    reply_to: str | None = None
    unsubscribe_address: str | None = None  # default: from_address
    unsubscribe_url: str | None = None  # https endpoint taking ?token=
    report_url: str | None = None  # base URL <data_dir>/reports/ is published at
    web_url: str | None = None  # `papertrend web` ([web] base_url): manage and unsubscribe pages, reports

    @property
    def domain(self) -> str:
        return self.from_address.rsplit("@", 1)[-1]


def header_text(value: str, limit: int = SUBJECT_CHARS) -> str:
    """`value` fit for a header: control and invisible characters gone, encoded-word openers broken, one line,
    at most `limit` characters (cut at a word, with an ellipsis)."""
    return shorten(fold_spaces(_UNSAFE.sub(" ", value)).replace("=?", "= ?").replace("?=", "? ="), limit)


def message_id(period: str, address: str, domain: str) -> str:
    """The Message-ID of `address`'s message of `period`: the same on every attempt and every resend."""
    digest = hashlib.sha256(f"{period}\0{address}".encode()).hexdigest()[:32]
    return f"<{period}.{digest}@{header_text(domain, 200)}>"


def subject(period: Period, digest: Digest | None = None) -> str:
    """'papertrend weekly, 2026-W17: rising — <story>': the reader's own story when one matched, else the
    week's top one (the name sanitised and capped)."""
    if period.kind == Cadence.WEEKLY:
        top = digest.matched_stories[0].label if digest and digest.matched_stories else period.top_label
        return f"papertrend weekly, {period.label}: " + (
            f"rising — {header_text(top)}" if top else "nothing rose clearly"
        )
    count = len(period.papers)
    return f"papertrend daily, {period.label}: {count} paper{'s' if count != 1 else ''} on HF"


class Composer:
    """Renders digests with the template files and builds their messages; the chart parts are built once."""

    def __init__(self, period: Period, sender: Sender) -> None:
        self.period, self.sender = period, sender
        self._text = _environment(html=False).get_template("digest.txt.j2")
        self._html = _environment(html=True).get_template("digest.html.j2")
        self.cids = {name: f"{name}.{period.label}@{sender.domain}" for name in period.charts}
        self._images = [_image_part(png, self.cids[name]) for name, png in period.charts.items()]  # bytes, once
        self._images_size = sum(len(image) for image in self._images)
        self.report_url = (
            (
                links.report_link(sender.report_url or "", period.label)
                or links.web_link(sender.web_url or "", f"/weeks/{period.label}")
            )
            if period.kind == Cadence.WEEKLY
            else None
        )

    def message_id(self, sub: Subscriber) -> str:
        return message_id(self.period.label, sub.address, self.sender.domain)

    def compose_for(self, sub: Subscriber, token: str) -> bytes | None:
        """`sub`'s message of the period, serialised, its unsubscribe links carrying `token`; None when they
        asked for matches only and nothing matched."""
        composed = self.compose_with_papers(sub, token)
        return composed[0] if composed else None

    def compose_with_papers(
        self, sub: Subscriber, token: str, seen: frozenset[str] | set[str] = frozenset()
    ) -> tuple[bytes, tuple[str, ...]] | None:
        """As compose_for, leaving out the papers `seen` before, with the ids of the papers the message holds."""
        digest = personal_digest(self.period, sub, seen)
        if sub.only_matches and not digest.has_match:
            return None
        data = self.compose(digest, token)[0]  # drops papers from the end until the message fits
        return data, digest.paper_ids

    def compose(self, digest: Digest, token: str = "") -> tuple[bytes, str]:
        """The message of `digest`, serialised (CRLF), and its Message-ID; papers are dropped from the end
        until the HTML fits. Its unsubscribe links carry `token` (the store keeps only its hash).

        The MIME tree is multipart/alternative (text, multipart/related (HTML, charts)). The chart parts
        are the same bytes in every message of the period, so they are serialised once, in __init__, and
        the multiparts are joined here with boundaries of our own: no part's encoding (quoted-printable,
        base64) can contain '=_', so no content can end a part early.
        """
        sub = digest.subscriber
        mid = self.message_id(sub)
        title = subject(self.period, digest)
        unsubscribe = self._unsubscribe(token)
        context = self._context(digest, title, unsubscribe, token)
        # The budgets are measured as sent: quoted-printable makes 100 KB of HTML 140 KB.
        html_part = _text_part(self._html.render(context), "html")
        while len(html_part) + self._images_size > MESSAGE_BUDGET - TEXT_ALLOWANCE or len(html_part) > HTML_BUDGET:
            if not (digest.top or digest.matched):
                break
            (digest.top or digest.matched).pop()
            html_part = _text_part(self._html.render(context), "html")
        head = EmailMessage(policy=SMTP)
        head["From"] = Address(header_text(self.sender.from_name, 80), addr_spec=self.sender.from_address)
        head["To"] = Address(header_text(sub.name or "", 80), addr_spec=sub.address)
        head["Subject"] = title
        head["Date"] = format_datetime(datetime.now(UTC))
        head["Message-ID"] = mid
        if self.sender.reply_to:
            head["Reply-To"] = self.sender.reply_to
        head["List-Id"] = f"papertrend {self.period.kind} <{self.period.kind}.papertrend.{self.sender.domain}>"
        head["Auto-Submitted"] = "auto-generated"
        head["MIME-Version"] = "1.0"
        head["Content-Type"] = f'multipart/alternative; boundary="{ALTERNATIVE}"'
        text = _text_part(self._text.render(context), "plain")
        if self._images:
            html_part = (
                f'Content-Type: multipart/related; type="text/html"; boundary="{RELATED}"\r\n\r\n'.encode()
                + _multipart(RELATED, [html_part, *self._images])
            )
        headers = b"".join(SMTP.fold_binary(name, value) for name, value in head.items())
        headers += _list_unsubscribe(unsubscribe)
        return headers + b"\r\n" + _multipart(ALTERNATIVE, [text, html_part]), mid

    def _context(self, digest: Digest, title: str, unsubscribe: list[str], token: str) -> dict:
        sub = digest.subscriber
        mailto, https = unsubscribe[0], (unsubscribe[1] if len(unsubscribe) > 1 else None)
        words = (
            f"the week {self.period.label}"
            if self.period.kind == Cadence.WEEKLY
            else f"the papers of {self.period.label}"
        )
        return {
            "digest": digest,
            "period": self.period,
            "subject": title,
            "charts": self.cids,
            "greeting": sub.name,
            "period_words": words,
            "period_in": "this week" if self.period.kind == Cadence.WEEKLY else "today",
            "trending": digest.trending if self.period.kind == Cadence.WEEKLY else [],
            "report_url": self.report_url,
            "unsubscribe_url": https,
            "manage_url": links.manage_link(self.sender.web_url or "", token),
            "unsubscribe_mailto": mailto,
            "unsubscribe_address": self._unsubscribe_address,
        }

    @property
    def _unsubscribe_address(self) -> str:
        return self.sender.unsubscribe_address or self.sender.from_address

    def _unsubscribe(self, token: str) -> list[str]:
        """The mailto URI, then the one-click https one when the operator runs an endpoint."""
        mailto = f"mailto:{self._unsubscribe_address}?subject={quote(('unsubscribe ' + token).strip())}"
        https = links.web_unsubscribe_link(self.sender.web_url or "", token) or links.unsubscribe_link(
            self.sender.unsubscribe_url or "", token
        )
        return [mailto, https] if https else [mailto]


def _list_unsubscribe(uris: list[str]) -> bytes:
    # Written by hand: the email package would fold these long URLs into encoded words (no client
    # follows a =?utf-8?q?...?= link). Every part is ASCII we built from validated pieces; one URI a line.
    lines = "List-Unsubscribe: " + ",\r\n ".join(f"<{u}>" for u in uris) + "\r\n"
    if len(uris) > 1:  # an https endpoint: one-click unsubscribe, RFC 8058
        lines += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    return lines.encode("ascii")


def _image_part(png: bytes, cid: str) -> bytes:
    part = EmailMessage(policy=SMTP)
    part.set_content(png, maintype="image", subtype="png", disposition="inline", cid=f"<{cid}>")
    del part["MIME-Version"]  # only the message itself says it
    return part.as_bytes()


def _text_part(text: str, subtype: str) -> bytes:
    # binascii's quoted-printable (C) rather than the email package's (Python): a third of the cost of
    # a message. Lines end CRLF, trailing spaces and '=' are encoded, no line is over 76 characters.
    # Every line break becomes CRLF (a bare CR in DATA is invalid, and so in quoted-printable).
    body = binascii.b2a_qp(re.sub(r"\r\n?|\n", "\r\n", text).encode("utf-8"), istext=True)
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    return head.encode() + body


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part.rstrip(b"\r\n") + b"\r\n" for part in parts)
    return body + b"--" + boundary.encode() + b"--\r\n"


def _environment(*, html: bool) -> jinja2.Environment:
    env = template_environment(html=html, loader=jinja2.PackageLoader("mail", "templates"))
    env.filters.update(oneline=_oneline, wrap=_wrap)
    return env


def _oneline(value: object) -> str:
    # Plain text shows scraped strings as one line each: no fake headers or sections inside a title.
    return fold_spaces(_UNSAFE.sub(" ", str(value)))


def _wrap(value: str) -> str:
    return "\n  ".join(textwrap.wrap(value, 76))


def alert_message(
    sender: Sender, to: str, flow: str, run: str, reason: str, quarantined: list[dict], host: str
) -> EmailMessage:
    """The operator's alert of a failed flow run: plain text, the reason and the open quarantine."""
    text = (
        _environment(html=False)
        .get_template("alert.txt.j2")
        .render(flow=flow, run=run, reason=reason, quarantined=quarantined, host=host)
    )
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(header_text(sender.from_name, 80), addr_spec=sender.from_address)
    msg["To"] = Address(addr_spec=to)
    msg["Subject"] = f"papertrend alert: {header_text(flow, 40)} run {header_text(run, 60)} failed"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id(f"alert-{datetime.now(UTC):%Y%m%dT%H%M%S%f}", to, sender.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, cte="quoted-printable")
    return msg
