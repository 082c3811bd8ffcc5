"""Settings load and validate: the only module that reads the settings' variables and the config file.

Precedence, lowest first: built-in defaults, `papertrend.toml` (or the file
named by PAPERTREND_CONFIG), PAPERTREND_* environment variables, then explicit
overrides (CLI flags). Every setting is listed in the README's table. Each layer
checks its own values (the warehouse file, crons, URLs, the data folder,
bounds); `load` calls them and lists every problem at once. The Prefect
environment is flows/prefect_env.py's.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.booleans import parse_boolean
from common.errors import PapertrendError
from common.hosts import is_loopback
from common.ids import UnknownCategory, check_category
from flows.calendar import cron_problem
from flows.files import data_dir_problem
from flows.http import DEFAULT_USER_AGENT, FetchPolicy, http_url_problem
from flows.setting_bounds import bound_problems
from reports.links import web_base
from warehouse.integrity import named_file_problem

if TYPE_CHECKING:  # the mailer is imported only by what sends mail
    from mail.mailer import SmtpConfig

ENV_PREFIX = "PAPERTREND_"
ARXIV_MIN_INTERVAL = 3.0
DEFAULT_CONFIG_FILE = "papertrend.toml"
# PAPERTREND_* names that are not settings but are documented: the config file, tracebacks, the test captures,
# the test hook that holds a served run in PENDING.
EXTRA_VARIABLES = ("CONFIG", "DEBUG", "TEST_FIXTURES", "EMAIL_SMTP_PASSWORD", "TEST_SUBMIT_DELAY")
PASSWORD_VARIABLE = f"{ENV_PREFIX}EMAIL_SMTP_PASSWORD"


class SettingsInvalid(PapertrendError, ValueError):
    """One or more settings have values we cannot use; the message lists them all."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Field names are the keys of the config file's sections."""

    data_dir: Path = Path("data")
    warehouse: Path | None = None  # default: <data_dir>/warehouse.duckdb
    timezone: str = "UTC"  # for "today" and the schedule
    refresh_days: int = 7  # days before the digest date re-fetched by ingest
    batch_days: int = 30  # pages per Prefect task (a task costs ~40 ms)
    contact: str = ""  # e-mail or URL put in the User-Agent
    hf_enabled: bool = True
    hf_base_url: str = "https://huggingface.co"
    hf_mode: str = "api"  # api | page
    hf_fallback: bool = True  # fall back to the digest page when the API fails
    hf_api_interval: float = 1.0  # seconds between API requests
    hf_page_interval: float = 3.0  # seconds between page requests (HF allows ~5x fewer)
    fetch_attempts: int = 4
    fetch_backoff: float = 1.0
    fetch_connect_timeout: float = 10.0
    fetch_read_timeout: float = 30.0
    fetch_deadline: float = 60.0
    fetch_max_bytes: int = 20_000_000
    schedule_cron: str = ""  # the old name of [schedule] hf; when set, it wins
    schedule_hf: str = "30 6 * * *"  # hf-daily, in `timezone`
    schedule_arxiv: str = "30 20 * * 0-4"  # arxiv-daily, in `arxiv_timezone`: after arXiv's 20:00 ET announcements
    schedule_weekly_report: str = "0 7 * * 1"  # weekly-report, in `timezone`
    arxiv_timezone: str = "America/New_York"
    prefect_port: int = 4200  # the local Prefect server `serve` and `server start` run
    arxiv_enabled: bool = True
    arxiv_categories: str = "cs.LG,cs.CL,cs.CV,cs.AI"  # comma-separated /new listings to follow
    arxiv_base_url: str = "https://arxiv.org"
    arxiv_api_url: str = "https://export.arxiv.org"
    arxiv_listing_path: str = "/list/{category}/new"  # a replay serves "...?date={date}" too
    arxiv_interval: float = 3.0  # arXiv's terms: one request every 3 s, one connection
    arxiv_api_page_size: int = 200
    arxiv_holidays: str = ""  # extra listing dates without announcements, comma-separated
    email_smtp_host: str = ""  # empty: email is not configured
    email_smtp_port: int = 587
    email_smtp_security: str = "starttls"  # starttls | tls | none (a local relay)
    email_smtp_user: str = ""
    email_smtp_password_secret: str = ""  # a Prefect Secret block holding the password
    email_smtp_timeout: float = 30.0  # seconds for connecting and for each SMTP command
    email_smtp_ca_file: Path | None = None  # CA bundle for a relay with a private CA (default: the system's)
    email_send_attempts: int = 3  # per message, for 4xx replies and dropped connections
    email_retry_backoff: float = 2.0  # seconds before the first retry, doubling
    email_from_address: str = ""
    email_from_name: str = "papertrend"
    email_reply_to: str = ""
    email_send_with_report: bool = True  # the weekly-report flow sends the weekly emails
    email_report_url: str = ""  # https base URL where <data_dir>/reports/ is published
    email_unsubscribe_url: str = ""  # https endpoint taking ?token= (one-click, RFC 8058)
    email_unsubscribe_address: str = ""  # mailto target (default: from_address)
    email_ops_address: str = ""  # a failed flow run alerts it
    email_log_days: int = 400  # days a message's row stays in the email log (the email flow prunes older ones)
    web_base_url: str = ""  # where `papertrend web` is reached (https; http for loopback only): the emails link to it
    web_host: str = "127.0.0.1"  # `papertrend web` listens here (behind a TLS reverse proxy)
    web_port: int = 8000
    web_trusted_proxy: str = ""  # the proxy's IP address: only its X-Forwarded-For names the client
    web_manage_days: int = 30  # days an email's manage link works (its unsubscribe link works as long as they exist)
    web_confirm_days: int = 2  # days a confirmation link works
    web_confirm_per_address: int = 1  # confirmation emails to one address per limit window
    web_requests_per_client: int = 10  # subscription requests from one client per limit window
    web_limit_minutes: int = 60  # the limit window
    web_search_timeout: float = 2.0  # seconds a search may take before it is stopped

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse or self.data_dir / "warehouse.duckdb"

    @property
    def audience_path(self) -> Path:
        """The audience store (subscribers, email log), beside the warehouse and never inside it."""
        from warehouse.audience import audience_path

        return audience_path(self.warehouse_path)

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hf_cron(self) -> str:
        """When hf-daily runs: [schedule] hf, or the old top-level schedule_cron when that is set."""
        return self.schedule_cron or self.schedule_hf

    @property
    def categories(self) -> list[str]:
        """The arXiv categories followed."""
        return [c.strip() for c in self.arxiv_categories.split(",") if c.strip()]

    @property
    def holidays(self) -> set[date]:
        """Extra listing dates without an arXiv announcement."""
        return {date.fromisoformat(d.strip()) for d in self.arxiv_holidays.split(",") if d.strip()}

    def fetch_policy(self, kind: str) -> FetchPolicy:
        """The politeness policy for a kind of request: HF `api`/`page`, arXiv `listing`/`arxiv-api`."""
        contact = f"; {self.contact}" if self.contact else ""
        intervals = {"api": self.hf_api_interval, "page": self.hf_page_interval}
        return FetchPolicy(
            min_interval=intervals.get(kind, self.arxiv_interval),
            max_connections=None if kind in intervals else 1,
            connect_timeout=self.fetch_connect_timeout,
            read_timeout=self.fetch_read_timeout,
            deadline=self.fetch_deadline,
            attempts=self.fetch_attempts,
            backoff=self.fetch_backoff,
            max_bytes=self.fetch_max_bytes,
            user_agent=DEFAULT_USER_AGENT.replace(")", f"{contact})"),
        )

    @classmethod
    def load(cls, *, env: Mapping[str, str] | None = None, config: Path | None = None, **overrides: Any) -> Settings:
        """Build settings from file, environment and overrides; raises SettingsInvalid."""
        env = os.environ if env is None else env
        named = config or env.get(f"{ENV_PREFIX}CONFIG")
        path = config_file(config, env)
        if named and not path.is_file():
            # A file asked for by name must be there; only the default may be absent.
            raise SettingsInvalid(f"config file {path} {'is a directory' if path.is_dir() else 'does not exist'}")
        values: dict[str, Any] = _read_config(path) if path.is_file() else {}
        if "email_smtp_password" in values:
            # A password in a file ends up in backups and diffs; refuse it rather than use it.
            raise SettingsInvalid(
                f"{path}: [email] smtp_password is never read from the file; set {PASSWORD_VARIABLE} "
                "or name a Prefect Secret block in [email] smtp_password_secret"
            )
        for field in fields(cls):
            if f"{ENV_PREFIX}{field.name.upper()}" in env:
                values[field.name] = env[f"{ENV_PREFIX}{field.name.upper()}"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings, problems = _coerce(cls(), values)
        problems = _unknown_variables(env) + problems + _problems(settings)
        if problems:  # every problem at once, from the file, the environment and the flags
            raise SettingsInvalid("; ".join(problems) + " (see the settings table in README.md)")
        return settings


def config_file(config: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The config file settings are read from: `config`, else PAPERTREND_CONFIG, else papertrend.toml."""
    env = os.environ if env is None else env
    named = config or env.get(f"{ENV_PREFIX}CONFIG")
    return Path(named) if named else Path(DEFAULT_CONFIG_FILE)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise SettingsInvalid(f"{path} is not a readable TOML file: {exc}") from None


def _flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    # [hf] base_url = ... becomes hf_base_url.
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}_"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _unknown_variables(env: Mapping[str, str]) -> list[str]:
    known = {f"{ENV_PREFIX}{f.name.upper()}" for f in fields(Settings)} | {f"{ENV_PREFIX}{n}" for n in EXTRA_VARIABLES}
    return [f"unknown variable {name}" for name in sorted(env) if name.startswith(ENV_PREFIX) and name not in known]


def _coerce(base: Settings, values: dict[str, Any]) -> tuple[Settings, list[str]]:
    # `from __future__ import annotations` makes every field's type the text of its annotation.
    types = {f.name: f.type for f in fields(Settings) if isinstance(f.type, str)}
    problems, clean = [], {}
    for name, value in values.items():
        if name not in types:
            problems.append(f"unknown setting {name!r}")
            continue
        try:
            clean[name] = _convert(types[name], value)
        except ValueError:
            problems.append(f"{name}={value!r} is not a valid {types[name]}")
    return replace(base, **clean), problems


def _convert(kind: str, value: Any) -> Any:
    if "Path" in kind:
        return Path(value) if value not in ("", None) else None
    if kind == "bool":
        return parse_boolean(value)  # the same rule as the subscriber CSV's cells
    return {"int": int, "float": float, "str": str}[kind](value)


def _cron_problems(settings: Settings) -> list[str]:
    crons = {
        "schedule_hf": settings.hf_cron,
        "schedule_arxiv": settings.schedule_arxiv,
        "schedule_weekly_report": settings.schedule_weekly_report,
    }
    return [problem for name, cron in crons.items() if (problem := cron_problem(name, cron))]


def _email_problems(settings: Settings) -> list[str]:
    from mail.security import email_problems

    return email_problems(
        host=settings.email_smtp_host,
        security=settings.email_smtp_security,
        user=settings.email_smtp_user,
        ca_file=settings.email_smtp_ca_file,
        addresses={
            "email_from_address": settings.email_from_address,
            "email_reply_to": settings.email_reply_to,
            "email_unsubscribe_address": settings.email_unsubscribe_address,
            "email_ops_address": settings.email_ops_address,
        },
        urls={"email_report_url": settings.email_report_url, "email_unsubscribe_url": settings.email_unsubscribe_url},
    )


def _web_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.web_base_url and web_base(settings.web_base_url) is None:
        problems.append(
            f"web_base_url {settings.web_base_url!r} must be an https URL (plain http only for a loopback host "
            "such as http://127.0.0.1:8000), without a query"
        )
    if settings.web_trusted_proxy:
        try:
            ipaddress.ip_address(settings.web_trusted_proxy)
        except ValueError:
            problems.append(f"web_trusted_proxy {settings.web_trusted_proxy!r} is not an IP address")
    return problems


def smtp_password(settings: Settings) -> str:
    """The SMTP password: PAPERTREND_EMAIL_SMTP_PASSWORD, else the Prefect Secret block named in the settings.

    Read at send time and handed straight to the SMTP login; never kept in Settings, never logged.
    """
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if settings.email_smtp_password_secret:
        from prefect.blocks.system import Secret

        try:
            secret: Any = Secret.load(settings.email_smtp_password_secret)  # sync in a sync context
            return str(secret.get())
        except ValueError as exc:
            raise SettingsInvalid(
                f"Prefect Secret block {settings.email_smtp_password_secret!r} cannot be loaded ({type(exc).__name__}); "
                f"create it or set {PASSWORD_VARIABLE}"
            ) from None
    return ""


def smtp_config(settings: Settings) -> SmtpConfig:
    """How to reach the SMTP server of `settings`, the password read now (smtp_password)."""
    from mail.mailer import SmtpConfig

    return SmtpConfig(
        settings.email_smtp_host,
        settings.email_smtp_port,
        settings.email_smtp_security,
        settings.email_smtp_user,
        smtp_password(settings),
        settings.email_smtp_timeout,
        settings.email_send_attempts,
        settings.email_retry_backoff,
        settings.email_smtp_ca_file,
    )


def _problems(settings: Settings) -> list[str]:
    problems = bound_problems(settings) + _cron_problems(settings)
    if warehouse := named_file_problem(settings.warehouse_path, named=settings.warehouse is not None):
        problems.append(warehouse)
    problems += _email_problems(settings) + _web_problems(settings)
    if settings.hf_mode not in ("api", "page"):
        problems.append(f"hf_mode must be 'api' or 'page', not {settings.hf_mode!r}")
    try:
        _ = settings.zone
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone {settings.timezone!r} is not an IANA zone such as 'Europe/Berlin'")
    try:
        ZoneInfo(settings.arxiv_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"arxiv_timezone {settings.arxiv_timezone!r} is not an IANA zone such as 'America/New_York'")
    if data_dir := data_dir_problem(settings.data_dir):
        problems.append(data_dir)
    try:
        _ = settings.holidays
    except ValueError:
        problems.append(f"arxiv_holidays must be YYYY-MM-DD dates, not {settings.arxiv_holidays!r}")
    if "{category}" not in settings.arxiv_listing_path:
        problems.append("arxiv_listing_path must contain {category}")
    problems += _category_problems(settings.categories)
    local = all(is_loopback(urlsplit(u).hostname) for u in (settings.arxiv_base_url, settings.arxiv_api_url))
    if settings.arxiv_interval < ARXIV_MIN_INTERVAL and not local:
        problems.append(
            f"arxiv_interval {settings.arxiv_interval:g}s breaks arXiv's terms (one request every "
            f"{ARXIV_MIN_INTERVAL:g}s); shorter intervals are for a local replay only"
        )
    urls = {
        "hf_base_url": settings.hf_base_url,
        "arxiv_base_url": settings.arxiv_base_url,
        "arxiv_api_url": settings.arxiv_api_url,
    }
    problems += [problem for name, url in urls.items() if (problem := http_url_problem(name, url))]
    if settings.arxiv_enabled and not settings.categories:
        problems.append("arxiv_categories is empty; name at least one (e.g. cs.LG) or set arxiv_enabled = false")
    return problems


def _category_problems(categories: list[str]) -> list[str]:
    problems = []
    for category in categories:
        try:
            check_category(category)
        except UnknownCategory as exc:
            problems.append(f"arxiv_categories: {exc}")
    return problems


# The settings of the flow runs this context starts. A ContextVar, not a module global: it is set in
# one place (settings_in_use, by the shell, the demo and tests) and read in one (run_settings), and a
# value set in one thread or task never leaks into another. Prefect runs an in-process flow in the
# caller's context (a copy of it, for a flow run in a worker thread), so the value reaches the run.
_RUN_SETTINGS: ContextVar[Settings | None] = ContextVar("papertrend_run_settings", default=None)


@contextmanager
def settings_in_use(settings: Settings) -> Iterator[Settings]:
    """Hand `settings` to the flow runs started inside the block (not as Prefect parameters, which it stores)."""
    token = _RUN_SETTINGS.set(settings)
    try:
        yield settings
    finally:
        _RUN_SETTINGS.reset(token)


def run_settings() -> Settings:
    """The settings of a flow run: the shell's (settings_in_use), else read now (a served deployment's run,
    a process of its own: flows/prefect_env.py pin_for_served_runs puts the shell's paths in its environment)."""
    settings = _RUN_SETTINGS.get()
    return settings if settings is not None else Settings.load()
