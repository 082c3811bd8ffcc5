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

from common.names import EmailStatus
from common.text import fold_spaces
from mail.errors import MailError
from mail.security import password_in_clear


class SmtpUnavailable(MailError):
    """The SMTP server could not be reached, refused our login or our sender; nothing more can be sent now."""

    def __init__(self, message: str, *, login_refused: bool = False) -> None:
        super().__init__(message)
        self.login_refused = login_refused  # retrying cannot help (and must not hammer a login)


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
        self._smtp: _PlainSmtp | _TlsSmtp | None = None
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
        the headers say.

        Outcomes: `sent` (250), `failed` (the recipient or the message refused, 5xx), `deferred` (4xx or
        connection trouble until the attempts ran out, or no answer after the message was handed over:
        it may have been queued, so it is not sent again in this run). A session problem (the sender
        refused, a login refused, no server at all) raises SmtpUnavailable: it is nobody's fault in
        particular, and every message of the batch stays due.
        """
        wait = self.config.backoff
        reply = ""
        for attempt in range(1, self.config.attempts + 1):
            try:
                smtp = self._smtp or self._connect()
                refused = smtp.sendmail(sender, [recipient], message)
                if not refused:
                    return Delivery(EmailStatus.SENT, self._last_reply(), attempt)
                code, text = refused[recipient]  # accepted for nobody we asked: this recipient's refusal
                reply = _reply(code, text)
                if not 400 <= code < 500:
                    return Delivery(EmailStatus.FAILED, reply, attempt)
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = exc.recipients.get(recipient, (550, b"refused"))
                reply = _reply(code, text)
                self._reset()
                if not 400 <= code < 500:
                    return Delivery(EmailStatus.FAILED, reply, attempt)
            except (smtplib.SMTPSenderRefused, smtplib.SMTPHeloError) as exc:
                reply = _reply(exc.smtp_code, exc.smtp_error)
                if not 400 <= exc.smtp_code < 500:
                    self._drop()
                    raise SmtpUnavailable(
                        f"SMTP server {self.config.host} refuses our messages ({reply}); "
                        "check [email] from_address, smtp_user and the relay's rules"
                    ) from None
                self._reset()
            except smtplib.SMTPResponseException as exc:  # an answer to DATA: about the message itself
                reply = _reply(exc.smtp_code, exc.smtp_error)
                self._reset()
                if not 400 <= exc.smtp_code < 500:
                    return Delivery(EmailStatus.FAILED, reply, attempt)
            except SmtpUnavailable as exc:  # a reconnect failed: one more transient attempt, unless a login
                if exc.login_refused or attempt == self.config.attempts:
                    raise
                reply = str(exc)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                handed_over = self._smtp is not None and self._smtp.handed_over
                self._drop()
                if handed_over:
                    return Delivery(
                        "deferred", f"no answer after the message was handed over ({type(exc).__name__})", attempt
                    )
                reply = f"connection lost: {type(exc).__name__}"
            if attempt < self.config.attempts:
                time.sleep(wait)
                wait *= 2
        return Delivery("deferred", reply, self.config.attempts)

    def _connect(self) -> _PlainSmtp | _TlsSmtp:
        cfg = self.config
        # Certificates are verified, host name included: a relay we cannot verify gets no password.
        context = ssl.create_default_context(cafile=cfg.ca_file)
        smtp: _PlainSmtp | _TlsSmtp | None = None
        try:
            if cfg.security == "tls":
                smtp = _TlsSmtp(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
            else:
                smtp = _PlainSmtp(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=context)
            if cfg.user:
                if password_in_clear(cfg.host, cfg.security, cfg.user):
                    raise SmtpUnavailable(
                        f"refusing to send the SMTP password to {cfg.host} unencrypted; "
                        "set [email] smtp_security to starttls or tls",
                        login_refused=True,
                    )
                smtp.login(cfg.user, cfg.password)
        except smtplib.SMTPAuthenticationError as exc:
            _close(smtp)
            raise SmtpUnavailable(
                f"SMTP server {cfg.host}:{cfg.port} refused the login of {cfg.user!r} ({exc.smtp_code}); "
                "check [email] smtp_user and PAPERTREND_EMAIL_SMTP_PASSWORD",
                login_refused=True,
            ) from None
        except SmtpUnavailable:
            _close(smtp)
            raise
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            _close(smtp)
            raise SmtpUnavailable(
                f"cannot reach SMTP server {cfg.host}:{cfg.port} ({cfg.security}): {type(exc).__name__}: {exc}; "
                "check [email] smtp_host, smtp_port and smtp_security"
            ) from None
        self._smtp = smtp
        self.connections += 1
        return smtp

    def _last_reply(self) -> str:
        code, text = getattr(self._smtp, "data_reply", (250, b"ok"))
        return _reply(code, text)

    def _reset(self) -> None:
        # After a refused transaction the server expects a new MAIL FROM: RSET clears the old one.
        # smtplib closes the socket itself on a 421; then there is nothing to reset.
        if self._smtp is None or self._smtp.sock is None:
            self._drop()
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None


class _HandOver:
    """Knows whether the message went past the end of DATA: after that, no answer is no proof of no delivery.
    Also keeps the server's answer to DATA (its queue id), which smtplib's sendmail drops."""

    data_reply: tuple[int, bytes] = (0, b"")
    handed_over = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.handed_over = True  # from here a silence may hide a queued message
        self.data_reply = super().data(msg)  # type: ignore[misc]
        self.handed_over = False
        return self.data_reply


class _PlainSmtp(_HandOver, smtplib.SMTP):
    pass


class _TlsSmtp(_HandOver, smtplib.SMTP_SSL):
    pass


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {fold_spaces(words)}"
