"""The subscription lifecycle on the web: subscribe (double opt-in), confirm, manage, pause, unsubscribe.

Writes go to the audience store at once, in one short transaction each; no
flow is waited on. Tokens arrive in URLs and are looked up by their hash. The
subscribe answer is the same whether an address is known, new or over its
limit, so the form tells nobody who subscribes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from common.errors import PapertrendError
from common.names import Cadence
from flows.email import sender_of
from flows.settings import Settings, smtp_config
from mail.confirmation import confirmation_message
from mail.mailer import Mailer
from reports import links
from warehouse.audience import connect_audience
from warehouse.signups import Limits, TooManyRequests, confirm_signup, request_signup, signup_waiting
from warehouse.subscribers import (
    DEFAULT_MAX_PAPERS,
    Subscriber,
    SubscriberInvalid,
    by_token,
    issue_token,
    unsubscribe,
    update_preferences,
    valid_subscriber,
)
from web.guard import check_csrf, client_address, read_form
from web.site import Site

log = logging.getLogger("papertrend.web")
ONE_CLICK = ("List-Unsubscribe", "One-Click")  # RFC 8058's POST body
LISTS = ("keywords", "topics", "authors", "seeds", "exclude_keywords", "exclude_authors")
_SPLIT = re.compile(r"[\n,;]+")
EXPIRED = "This link has expired or was already used. Every email we send brings a fresh one."


def form_subscriber(fields: dict[str, str], base: Subscriber) -> Subscriber:
    """`base` with the preferences of a subscribe or manage form (lists one per line or comma-separated)."""
    values: dict[str, Any] = {name: tuple(_listed(fields, name)) for name in LISTS}
    cadence = fields.get("cadence", Cadence.WEEKLY)
    size = fields.get("max_papers", str(DEFAULT_MAX_PAPERS)).strip()
    if not size.isdigit():
        raise SubscriberInvalid(f"the number of papers must be a whole number from 1 to 100, not {size[:10]!r}")
    return replace(
        base,
        name=fields.get("name", "").strip() or None,
        cadence=cadence,
        max_papers=int(size),
        only_matches=fields.get("only_matches") == "on",
        **values,
    )


def form_values(fields: dict[str, str]) -> dict[str, Any]:
    """A subscribe form's fields as the form shows them again (lists split), for a second try."""
    values: dict[str, Any] = {name: _listed(fields, name) for name in LISTS}
    return values | {
        "address": fields.get("address", ""),
        "name": fields.get("name", ""),
        "cadence": fields.get("cadence", Cadence.WEEKLY),
        "max_papers": fields.get("max_papers", DEFAULT_MAX_PAPERS),
        "only_matches": fields.get("only_matches") == "on",
    }


def _listed(fields: dict[str, str], name: str) -> list[str]:
    """A list field of the form: one item per line or between commas (or semicolons)."""
    return [item.strip() for item in _SPLIT.split(fields.get(name, "")) if item.strip()]


def _limits(settings: Settings) -> Limits:
    return Limits(
        settings.web_confirm_per_address,
        settings.web_requests_per_client,
        timedelta(minutes=settings.web_limit_minutes),
    )


def routes(site: Site) -> list[Route]:
    settings = site.settings
    store = settings.audience_path

    async def subscribe_form(request: Request) -> Response:
        return site.page(request, "subscribe.html.j2", form=form_values({}), error=None)

    async def subscribe(request: Request) -> Response:
        fields = await read_form(request)
        try:
            sub = valid_subscriber(form_subscriber(fields, Subscriber(fields.get("address", ""))))
        except SubscriberInvalid as exc:
            return site.page(request, "subscribe.html.j2", 400, form=form_values(fields), error=str(exc))
        if not settings.email_smtp_host:
            return site.message(
                request, "Subscriptions are closed", "This site cannot send email yet; ask its operator.", 503
            )
        client = client_address(request, settings.web_trusted_proxy)
        try:
            token = await run_in_threadpool(_request, store, sub, client, _limits(settings))
        except TooManyRequests as exc:
            return site.message(request, "Too many requests", str(exc).capitalize() + ".", 429)
        if token:
            link = links.web_link(site.base, f"/confirm/{token}") or ""
            data = confirmation_message(sender_of(settings), sub.address, link, valid_days=settings.web_confirm_days)
            try:
                await run_in_threadpool(_send, settings, data, sub.address)
            except PapertrendError as exc:  # named without the address: logs never carry one
                log.warning("web: a confirmation email could not be sent (%s)", type(exc).__name__)
                return site.message(
                    request, "Email not sent", "We could not send email just now; try again later.", 503
                )
        return site.message(
            request,
            "Check your inbox",
            f"If {sub.address} can receive email, a message with a confirmation link is on its way. Nothing "
            "is sent to you before you follow it.",
        )

    async def confirm_page(request: Request) -> Response:
        token = request.path_params["token"]
        waiting = await run_in_threadpool(_waiting, store, token, settings.web_confirm_days)
        if not waiting:
            return site.message(request, "Link expired", EXPIRED, 404)
        return site.page(request, "confirm.html.j2", token=token)

    async def confirm(request: Request) -> Response:
        await read_form(request)
        token = request.path_params["token"]
        manage = await run_in_threadpool(_confirm, store, token, settings.web_confirm_days)
        if manage is None:
            return site.message(request, "Link expired", EXPIRED, 404)
        return RedirectResponse(f"/manage/{manage}?confirmed=1", status_code=303)

    async def manage_page(request: Request) -> Response:
        token = request.path_params["token"]
        sub = await run_in_threadpool(_by_token, store, token, settings.web_manage_days)
        if sub is None:
            return site.message(request, "Link expired", EXPIRED, 404)
        if not sub.active:
            return site.message(
                request, "You are unsubscribed", "Nothing is sent to you. To come back, subscribe again."
            )
        notice = "Your subscription is confirmed." if request.query_params.get("confirmed") else None
        return site.page(request, "manage.html.j2", token=token, sub=sub, error=None, notice=notice)

    async def manage(request: Request) -> Response:
        token = request.path_params["token"]
        fields = await read_form(request)
        sub = await run_in_threadpool(_by_token, store, token, settings.web_manage_days)
        if sub is None or not sub.active:
            return site.message(request, "Link expired", EXPIRED, 404)
        action = fields.get("action", "save")
        if action == "unsubscribe":
            await run_in_threadpool(_unsubscribe, store, sub.id or 0)
            return site.message(request, "You are unsubscribed", f"Nothing more is sent to {sub.address}.")
        try:
            if action in ("pause", "resume"):
                changed = replace(sub, paused=action == "pause")
            else:
                changed = valid_subscriber(form_subscriber(fields, sub))
        except SubscriberInvalid as exc:
            return site.page(request, "manage.html.j2", 400, token=token, sub=sub, error=str(exc), notice=None)
        await run_in_threadpool(_update, store, changed)
        notice = {"pause": "Paused: nothing is sent until you resume.", "resume": "Resumed."}.get(action, "Saved.")
        return site.page(request, "manage.html.j2", token=token, sub=changed, error=None, notice=notice)

    async def unsubscribe_page(request: Request) -> Response:
        token = request.path_params["token"]
        sub = await run_in_threadpool(_by_token, store, token, None)
        if sub is None:
            return site.message(request, "Link not ours", "This unsubscribe link is not one we sent.", 404)
        return site.page(request, "unsubscribe.html.j2", token=token, active=sub.active, address=sub.address)

    async def unsubscribe_post(request: Request) -> Response:
        token = request.path_params["token"]
        fields = await read_form(request, csrf=False)
        one_click = fields.get(ONE_CLICK[0]) == ONE_CLICK[1]
        if not one_click:  # the page's button; a mail provider's one-click POST is authenticated by the URL's token
            check_csrf(request, fields)
        sub = await run_in_threadpool(_by_token, store, token, None)
        if sub is None:
            return (
                PlainTextResponse("unknown link", status_code=404)
                if one_click
                else site.message(request, "Link not ours", "This unsubscribe link is not one we sent.", 404)
            )
        await run_in_threadpool(_unsubscribe, store, sub.id or 0)
        if one_click:
            return PlainTextResponse("unsubscribed")
        return site.message(request, "You are unsubscribed", f"Nothing more is sent to {sub.address}.")

    return [
        Route("/subscribe", subscribe_form, methods=["GET"]),
        Route("/subscribe", subscribe, methods=["POST"]),
        Route("/confirm/{token}", confirm_page, methods=["GET"]),
        Route("/confirm/{token}", confirm, methods=["POST"]),
        Route("/manage/{token}", manage_page, methods=["GET"]),
        Route("/manage/{token}", manage, methods=["POST"]),
        Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", unsubscribe_post, methods=["POST"]),
    ]


def _request(store: Any, sub: Subscriber, client: str, limits: Limits) -> str | None:
    with connect_audience(store) as con:
        return request_signup(con, sub, client, limits)


def _send(settings: Settings, data: bytes, address: str) -> None:
    with Mailer(smtp_config(settings)) as mailer:
        delivery = mailer.send(data, settings.email_from_address, address)
    if delivery.status != "sent":
        raise PapertrendError(f"confirmation not accepted by the SMTP server ({delivery.status})")


def _waiting(store: Any, token: str, days: int) -> bool:
    with connect_audience(store) as con:
        return signup_waiting(con, token, max_age=timedelta(days=days))


def _confirm(store: Any, token: str, days: int) -> str | None:
    with connect_audience(store) as con:
        sub = confirm_signup(con, token, max_age=timedelta(days=days))
        return issue_token(con, sub.id, "web") if sub and sub.id is not None else None


def _by_token(store: Any, token: str, days: int | None) -> Subscriber | None:
    with connect_audience(store) as con:
        return by_token(con, token, max_age_days=days)


def _unsubscribe(store: Any, subscriber_id: int) -> None:
    with connect_audience(store) as con:
        unsubscribe(con, subscriber_id)


def _update(store: Any, sub: Subscriber) -> None:
    with connect_audience(store) as con:
        update_preferences(con, sub)
