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
    try:
        listening = socket.create_server((settings.web_host, settings.web_port))
    except OSError as exc:
        raise CannotListen(f"cannot listen on {settings.web_host}:{settings.web_port}: {exc.strerror or exc}") from None
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
