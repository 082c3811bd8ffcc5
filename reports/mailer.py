"""The only SMTP code: one connection reused for a batch, bounded retries, every outcome classified.

A 4xx reply or a dropped connection is transient: reconnect if needed, wait,
try again, up to `attempts`. A 5xx reply is permanent for that recipient and
the batch goes on. A recipient the server refuses while accepting the message
(smtplib returns it instead of raising) counts as that recipient's refusal.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from reports.errors import ReportError

SECURITIES = ("starttls", "tls", "none")


class SmtpUnavailable(ReportError):
    """The SMTP server could not be reached or refused our login; nothing more can be sent now."""


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the server; the password is never shown (repr) and never stored."""

    host: str
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    attempts: int = 3
    backoff: float = 2.0  # seconds before the first retry, doubling
    ca_file: Path | None = None  # trust this CA bundle instead of the system's (a private relay)


@dataclass(frozen=True)
class Delivery:
    """How one message went: sent, failed (permanent) or deferred (transient, attempts used up)."""

    status: str
    reply: str
    attempts: int


class Mailer:
    """Sends messages over one SMTP connection, reconnecting when it drops. Use as a context manager."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0  # how many times it connected (a dropped connection adds one)

    def __enter__(self) -> Mailer:
        self._connect()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, message: bytes, sender: str, recipient: str) -> Delivery:
        """Send `message` (serialised, CRLF) to exactly `recipient`: the envelope names only them, whatever
        the headers say."""
        wait = self.config.backoff
        reply = ""
        for attempt in range(1, self.config.attempts + 1):
            try:
                if self._smtp is None:
                    self._connect()
                assert self._smtp is not None
                refused = self._smtp.sendmail(sender, [recipient], message)
                if refused:  # accepted for nobody we asked: it is this recipient's refusal
                    code, text = refused[recipient]
                    reply = _reply(code, text)
                    if 400 <= code < 500:
                        raise _Transient(reply)
                    return Delivery("failed", reply, attempt)
                return Delivery("sent", self._last_reply(), attempt)
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = exc.recipients.get(recipient, (550, b"refused"))
                reply = _reply(code, text)
                if not 400 <= code < 500:
                    return Delivery("failed", reply, attempt)
            except smtplib.SMTPResponseException as exc:
                reply = _reply(exc.smtp_code, exc.smtp_error)
                if not 400 <= exc.smtp_code < 500:
                    self._reset()
                    return Delivery("failed", reply, attempt)
                self._reset()
            except _Transient as exc:
                reply = str(exc)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                reply = f"connection lost: {type(exc).__name__}"
                self._drop()
            if attempt < self.config.attempts:
                time.sleep(wait)
                wait *= 2
        return Delivery("deferred", reply, self.config.attempts)

    def _connect(self) -> None:
        cfg = self.config
        # Certificates are verified, host name included: a relay we cannot verify gets no password.
        context = ssl.create_default_context(cafile=cfg.ca_file)
        try:
            if cfg.security == "tls":
                smtp: smtplib.SMTP = _TlsSmtp(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
            else:
                smtp = _PlainSmtp(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=context)
            if cfg.user:
                smtp.login(cfg.user, cfg.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpUnavailable(
                f"SMTP server {cfg.host}:{cfg.port} refused the login of {cfg.user!r} ({exc.smtp_code}); "
                "check [email] smtp_user and PAPERTREND_EMAIL_SMTP_PASSWORD"
            ) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise SmtpUnavailable(
                f"cannot reach SMTP server {cfg.host}:{cfg.port} ({cfg.security}): {type(exc).__name__}: {exc}; "
                "check [email] smtp_host, smtp_port and smtp_security"
            ) from None
        self._smtp = smtp
        self.connections += 1

    def _last_reply(self) -> str:
        code, text = getattr(self._smtp, "data_reply", (250, b"ok"))
        return _reply(code, text)

    def _reset(self) -> None:
        # After a refused transaction the server expects a new MAIL FROM: RSET clears the old one.
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None


class _Transient(ReportError):
    """A reply that means "try later" came back without smtplib raising (a deferred recipient)."""


class _PlainSmtp(smtplib.SMTP):
    """Keeps the server's answer to DATA (its queue id), which smtplib's send_message drops."""

    data_reply: tuple[int, bytes] = (0, b"")

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_reply = super().data(msg)
        return self.data_reply


class _TlsSmtp(smtplib.SMTP_SSL):
    """SMTP over implicit TLS, keeping the answer to DATA as _PlainSmtp does."""

    data_reply: tuple[int, bytes] = (0, b"")

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_reply = super().data(msg)
        return self.data_reply


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"
