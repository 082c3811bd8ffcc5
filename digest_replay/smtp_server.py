"""A local SMTP server (aiosmtpd) that keeps what it receives: the stand-in for a mail relay.

For the demo, the tests and the bench. It can be told to misbehave the way
real relays do: refuse a recipient (550), defer messages (451), drop the
connection after some messages, require a login.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope, and the message parsed."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Behaviour:
    """How the server answers (all off by default)."""

    refuse: set[str] = field(default_factory=set)  # recipients answered 550 at RCPT
    defer_first: int = 0  # the first N messages get 451 at DATA
    drop_after: int = 0  # close the connection after every N accepted messages (0: never)
    login: tuple[str, str] | None = None  # (user, password) AUTH must give
    tls: tuple[Path, Path] | None = None  # (certificate, key) PEM files: STARTTLS is offered and required
    implicit_tls: bool = False  # with `tls`: TLS from the first byte (port 465 style) instead
    refuse_sender: bool = False  # answer MAIL FROM with 553 (a relay that will not take our sender)
    slow_data: float = 0.0  # seconds to wait before answering the end of DATA (the message is kept first)


class _Handler:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.received: list[Received] = []
        self.rcpt_commands = 0  # every RCPT TO the server saw, accepted or not
        self.deferred = 0
        self.logins: list[str] = []

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.behaviour.refuse_sender:
            return "553 5.7.1 sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.rcpt_commands += 1
        if address in self.behaviour.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.deferred < self.behaviour.defer_first:
            self.deferred += 1
            return "451 4.3.0 try again later"
        self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content)))
        count = len(self.received)
        if self.behaviour.slow_data:  # queued already, as a relay that scans content before it answers
            await asyncio.sleep(self.behaviour.slow_data)
        if self.behaviour.drop_after and count % self.behaviour.drop_after == 0:
            # After the 250 is written, as a relay with a per-connection message limit does.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return f"250 2.0.0 queued as {count}"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        login = self.behaviour.login
        if login and isinstance(auth_data, LoginPassword):
            ok = (auth_data.login.decode(), auth_data.password.decode()) == login
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok)
        return AuthResult(success=False)


class LocalSmtpServer:
    """`with LocalSmtpServer() as smtp:` serves on 127.0.0.1:smtp.port; smtp.received lists messages."""

    def __init__(self, behaviour: Behaviour | None = None, *, port: int | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.handler = _Handler(self.behaviour)
        self.port = port or free_port()
        options: dict[str, Any] = {}
        if self.behaviour.login:
            # aiosmtpd sees STARTTLS as TLS but not an implicit-TLS socket; both are encrypted.
            require_tls = bool(self.behaviour.tls) and not self.behaviour.implicit_tls
            options = {"authenticator": self.handler.authenticate, "auth_require_tls": require_tls}
        if self.behaviour.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.behaviour.tls)
            key = "ssl_context" if self.behaviour.implicit_tls else "tls_context"
            options |= {key: context} | ({} if self.behaviour.implicit_tls else {"require_starttls": True})
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> LocalSmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def save(self, folder: Path) -> list[Path]:
        """Write every received message to `folder` as 01-<recipient>.eml, ...; returns the paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for n, item in enumerate(self.received, 1):
            path = folder / f"{n:02d}-{item.recipients[0].replace('@', '_at_')}.eml"
            path.write_bytes(item.data)
            paths.append(path)
        return paths


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (aiosmtpd's controller cannot be given port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    """`python -m digest_replay.smtp_server PORT`: serve until stdin closes, then print how many messages came."""
    import sys

    with LocalSmtpServer(port=int(sys.argv[1])) as server:
        print("ready", flush=True)
        sys.stdin.read()
    print(len(server.received), flush=True)


if __name__ == "__main__":
    main()
