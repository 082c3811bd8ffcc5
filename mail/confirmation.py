"""The double opt-in email: one link that confirms a web subscription, nothing else in it.

Only text we wrote goes in: the address was checked (warehouse.subscribers),
the link built by reports.links from our base URL and a token of ours.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from mail.message import Sender, header_text

SUBJECT = "Confirm your papertrend subscription"


def confirmation_message(sender: Sender, address: str, link: str, *, valid_days: int) -> bytes:
    """The confirmation email to `address` (checked) carrying `link` (built by reports.links), serialised."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(header_text(sender.from_name, 80), addr_spec=sender.from_address)
    message["To"] = Address(addr_spec=address)
    message["Subject"] = SUBJECT
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=header_text(sender.domain, 200))
    message["Auto-Submitted"] = "auto-generated"
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    message.set_content(
        "Someone, probably you, asked to receive papertrend's summaries of trending ML papers at this address.\n\n"
        f"To confirm, open this link and press the button on the page:\n{link}\n\n"
        f"The link works for {valid_days} day{'s' if valid_days != 1 else ''}. If you did not ask, ignore this "
        "email: nothing will be sent to you.\n"
    )
    return message.as_bytes()
