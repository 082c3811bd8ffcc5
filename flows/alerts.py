"""The operator's alert: a failed flow run sends one email to [email] ops_address, through the same mailer.

A Prefect on_failure hook. It never raises: an alert that cannot be sent is
logged, and the run's own failure is what Prefect records.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from flows.settings import Settings, run_settings, smtp_config
from warehouse.email_log import scrubbed

log = logging.getLogger("papertrend.alerts")
QUARANTINE_SHOWN = 20


def alert_ops(flow: Any, flow_run: Any, state: Any) -> None:
    """on_failure hook: mail ops_address the reason and the open quarantine, when email is configured."""
    try:
        settings = run_settings()
        if not (settings.email_smtp_host and settings.email_ops_address):
            return
        send_alert(settings, flow.name, flow_run.name, str(state.message or state.name))
    except Exception as exc:  # an alert must never hide the failure it reports
        log.error("could not send the failure alert to ops: %s: %s", type(exc).__name__, exc)


def send_alert(settings: Settings, flow: str, run: str, reason: str) -> None:
    """Send the alert of one failed run (how it went is logged)."""
    from flows.email import sender_of
    from mail.mailer import Mailer
    from mail.message import alert_message
    from warehouse import queries
    from warehouse.db import connect_for_reading
    from warehouse.paths import snapshot_path

    quarantined: list[dict] = []
    if snapshot_path(settings.warehouse_path).exists():
        with connect_for_reading(settings.warehouse_path) as con:
            quarantined = queries.open_quarantine(con).head(QUARANTINE_SHOWN).to_dicts()
    sender = sender_of(settings)
    message = alert_message(sender, settings.email_ops_address, flow, run, reason, quarantined, socket.gethostname())
    config = smtp_config(settings)
    with Mailer(config) as mailer:
        delivery = mailer.send(message.as_bytes(), settings.email_from_address, settings.email_ops_address)
    # No address in a run log line: the reply's copy of it is blanked out too.
    log.info("failure alert for %s to ops_address: %s", run, scrubbed(delivery.reply, settings.email_ops_address))
