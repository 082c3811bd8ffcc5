"""The values each numeric setting may take (the README's settings table states every one)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    """The values a numeric setting may take: from `low` (or just above it, with `above`) to `high`."""

    low: float
    high: float
    above: bool = False  # `low` itself is refused (a timeout of 0 s)

    def refuses(self, value: float) -> bool:
        return not math.isfinite(value) or value > self.high or value < self.low or (self.above and value == self.low)

    def describe(self) -> str:
        if self.above:
            return f"more than {_number(self.low)} and at most {_number(self.high)}"
        return f"from {_number(self.low)} to {_number(self.high)}"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


# Every numeric setting and what it may be: finite, and small enough that a
# typo cannot ask for years of requests, hours of waiting or a date overflow.
BOUNDS: dict[str, Bound] = {
    "refresh_days": Bound(0, 60),  # flows/bounds.py MAX_REFRESH_DAYS; more is --refresh-days N --large
    "batch_days": Bound(1, 366),
    "hf_api_interval": Bound(0, 60),
    "hf_page_interval": Bound(0, 60),
    "fetch_attempts": Bound(1, 10),
    "fetch_backoff": Bound(0, 300),
    "fetch_connect_timeout": Bound(0, 300, above=True),
    "fetch_read_timeout": Bound(0, 600, above=True),
    "fetch_deadline": Bound(0, 3600, above=True),
    "fetch_max_bytes": Bound(0, 1_000_000_000, above=True),
    "prefect_port": Bound(1, 65535),
    "arxiv_interval": Bound(0, 60),
    "arxiv_api_page_size": Bound(1, 2000),  # the API's own maximum per request
    "email_smtp_port": Bound(1, 65535),
    "email_smtp_timeout": Bound(0, 600, above=True),
    "email_send_attempts": Bound(1, 10),
    "email_retry_backoff": Bound(0, 300),
    "email_log_days": Bound(1, 36_500),
    "web_port": Bound(1, 65535),
    "web_manage_days": Bound(1, 365),
    "web_confirm_days": Bound(1, 30),
    "web_confirm_per_address": Bound(1, 10),
    "web_requests_per_client": Bound(1, 1000),
    "web_limit_minutes": Bound(1, 1440),
    "web_search_timeout": Bound(0, 30, above=True),
}


def bound_problems(settings: object) -> list[str]:
    """One line per numeric setting of `settings` outside its bound."""
    return [
        f"{name} must be {bound.describe()}, not {getattr(settings, name)}"
        for name, bound in BOUNDS.items()
        if bound.refuses(getattr(settings, name))
    ]
