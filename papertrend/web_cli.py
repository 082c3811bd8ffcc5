"""`papertrend web`: the web application on uvicorn, beside `serve` (docs/web.md)."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from papertrend.errors import CannotListen
from papertrend.options import DataDir
from papertrend.shell import settings_for


def web(
    host: Annotated[str | None, typer.Option("--host", help="Listen on this address ([web] host)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Listen on this port ([web] port)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the web pages (weeks, stories, papers, search, feeds) and the subscription pages until stopped.

    Browse pages read the published snapshot; subscribe, manage and unsubscribe write the audience store at
    once. Put it behind a TLS reverse proxy and set [web] base_url (README: Put it on the web).
    """
    settings = settings_for(data_dir, web_host=host, web_port=port)
    import uvicorn

    from web.app import create_app

    # Bound here, before anything is said: a taken port or an unknown host is one line, not uvicorn's exit 3.
    listening = listen(settings.web_host, settings.web_port)
    app = create_app(settings)
    base = settings.web_base_url or "not set: emails carry no manage link"
    typer.echo(f"papertrend web on http://{settings.web_host}:{settings.web_port} (base URL: {base}); Ctrl-C stops")
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,  # manage and unsubscribe URLs carry tokens, and logs must never hold one
        proxy_headers=False,  # X-Forwarded-For counts only from [web] trusted_proxy (web/guard.py)
        server_header=False,
    )
    with listening:
        uvicorn.Server(config).run(sockets=[listening])


def listen(host: str, port: int) -> socket.socket:
    """The server's listening socket; raises CannotListen (one line) when the address is taken or unknown."""
    try:
        listening = socket.create_server((host, port))
    except OSError as exc:
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # Connections accepted from a socket we bound do not get asyncio's no-delay: without it a response written in
    # two parts waits ~40 ms for the client's delayed ACK on every keep-alive request (Nagle). Accepted sockets
    # inherit it from the listening one (Linux).
    listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listening
