"""The `papertrend` command line: which command runs which function, in the order `--help` lists them.

The commands live in modules by what they work on (pipeline_cli, sql_cli,
corpus_cli, server_cli, email_cli); what they share is in shell.py and
options.py. Every command is wrapped in `friendly`: any exception becomes one
line, a hint from failures.py and an exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from papertrend import corpus_cli, email_cli, pipeline_cli, server_cli, sql_cli, web_cli
from papertrend.failures import stop_on_signals
from papertrend.shell import friendly, request_debug

app: typer.Typer = typer.Typer(
    help="Track trending ML papers: fetch digests, keep them, query them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
server_app = typer.Typer(help="The local Prefect server (UI, run history, schedules).", no_args_is_help=True)
subscribers_app = typer.Typer(help="Who gets the email summaries.", no_args_is_help=True)


@app.callback()
def main(
    debug: Annotated[
        bool, typer.Option("--debug", envvar="PAPERTREND_DEBUG", help="Print tracebacks with errors.")
    ] = False,
) -> None:
    """Track trending ML papers: fetch digests, keep them, query them."""
    request_debug(debug)
    stop_on_signals()


COMMANDS: tuple[tuple[typer.Typer, str, Callable[..., Any]], ...] = (
    (app, "ingest", pipeline_cli.ingest),
    (app, "backfill", pipeline_cli.backfill),
    (app, "arxiv-history", pipeline_cli.arxiv_history),
    (app, "arxiv-lookup", pipeline_cli.arxiv_lookup),
    (app, "reextract", pipeline_cli.reextract),
    (app, "index-terms", pipeline_cli.index_terms),
    (app, "status", pipeline_cli.status),
    (app, "sql", sql_cli.sql),
    (app, "export", sql_cli.export),
    (app, "extract", corpus_cli.extract),
    (app, "replay", corpus_cli.replay),
    (app, "demo", corpus_cli.demo),
    (app, "report", pipeline_cli.report),
    (app, "serve", server_cli.serve),
    (app, "web", web_cli.web),
    (app, "email", email_cli.email),
    (app, "unsubscribe", email_cli.unsubscribe),
    (server_app, "start", server_cli.server_start),
    (server_app, "stop", server_cli.server_stop),
    (server_app, "status", server_cli.server_status),
    (subscribers_app, "add", email_cli.add),
    (subscribers_app, "remove", email_cli.remove),
    (subscribers_app, "list", email_cli.list_subscribers),
    (subscribers_app, "import", email_cli.import_subscribers),
)
# A query such as "-- top papers\nSELECT ..." is sql's argument, not an unknown option.
CONTEXT_SETTINGS = {"sql": {"ignore_unknown_options": True}}

for group, name, command in COMMANDS:
    group.command(name, context_settings=CONTEXT_SETTINGS.get(name))(friendly(command))
app.add_typer(server_app, name="server")
app.add_typer(subscribers_app, name="subscribers")

if __name__ == "__main__":
    app()
