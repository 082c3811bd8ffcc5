"""The email settings' rules: connection security, where a password may travel in clear, safe addresses and URLs.

Settings call email_problems() to refuse a configuration before any run; the
mailer asks password_in_clear() again before it logs in, so a configuration
that skipped validation still cannot leak the password.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from common.hosts import is_loopback
from reports.links import site_base
from warehouse.subscribers import SubscriberInvalid, valid_address

SECURITIES = ("starttls", "tls", "none")


def password_in_clear(host: str, security: str, user: str) -> bool:
    """Whether logging in as `user` would send the password unencrypted to another machine."""
    return bool(user) and security == "none" and not is_loopback(host)


def email_problems(
    *,
    host: str,
    security: str,
    user: str,
    ca_file: Path | None,
    addresses: Mapping[str, str],
    urls: Mapping[str, str],
) -> list[str]:
    """What is wrong with the [email] settings, one line each, in the order a reader fixes them (none: []).

    `addresses` and `urls` map setting names (email_from_address, email_report_url, ...) to their values.
    """
    problems = []
    if security not in SECURITIES:
        problems.append(f"email_smtp_security must be one of {', '.join(SECURITIES)}, not {security!r}")
    for name, address in addresses.items():
        try:
            if address:
                valid_address(address)
        except SubscriberInvalid as exc:
            problems.append(f"{name}: {exc}")
    if password_in_clear(host, security, user):
        problems.append(
            f"email_smtp_security 'none' would send the SMTP password to {host} unencrypted; "
            "use starttls or tls (none is for a relay on this machine)"
        )
    if ca_file and not ca_file.is_file():
        problems.append(f"email_smtp_ca_file {ca_file} is not a file")
    if host and not addresses.get("email_from_address"):
        problems.append("email_from_address is empty; set [email] from_address to the address messages come from")
    for name, url in urls.items():
        if url and site_base(url) is None:
            problems.append(f"{name} must be an https URL without query or fragment, not {url!r}")
    return problems
