"""What every handler of the web application shares: settings, the snapshot, the search index, the templates."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from flows.settings import Settings
from reports.links import web_base
from reports.templating import template_environment
from warehouse.paths import search_index_path
from warehouse.search_index import MARK_END, MARK_START, SearchIndex
from web import views
from web.guard import CSRF_COOKIE, csrf_token
from web.snapshot import Snapshot

log = logging.getLogger("papertrend.web")


class Site:
    """What every handler shares: settings, the snapshot, the search index and the templates."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.snapshot = Snapshot(settings.warehouse_path, warm=self.warm)
        self.index = SearchIndex(search_index_path(settings.warehouse_path))
        self.base = web_base(settings.web_base_url) or f"http://{settings.web_host}:{settings.web_port}"
        self.https = self.base.startswith("https://")
        self.templates = template_environment(html=True, loader=jinja2.PackageLoader("web", "templates"))
        self.templates.filters["marked"] = marked

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """Template `name` rendered with `context`, the browser's CSRF token in it and in its cookie."""
        token = csrf_token(request)
        html = self.templates.get_template(name).render(csrf=token, base=self.base, **context)
        response = HTMLResponse(html, status_code=status)
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=self.https, path="/", max_age=86_400
        )
        if "token" in request.path_params:  # a page opened with a token: never cached, never referred
            response.headers["cache-control"] = "no-store"
        return response

    def message(self, request: Request, title: str, text: str, status: int = 200) -> HTMLResponse:
        return self.page(request, "message.html.j2", status, title=title, text=text)

    # What the browse pages show, each kept per snapshot under one key (the warm-up reads the same keys).
    def weeks(self) -> list[dict[str, Any]]:
        return self.snapshot.read(("weeks",), views.weeks)

    def week(self, label: str) -> dict[str, Any] | None:
        return self.snapshot.read(("week", label), partial(views.week, label=label))

    def story(self, story_id: str) -> dict[str, Any] | None:
        return self.snapshot.read(("story", story_id), partial(views.story, story_id=story_id))

    def paper(self, arxiv_id: str) -> dict[str, Any] | None:
        return self.snapshot.read(("paper", arxiv_id), partial(views.paper, arxiv_id=arxiv_id))

    def warm(self) -> None:
        """Compute what most requests ask for as soon as a snapshot is published: the weeks, the latest week
        and its stories (their pages cost up to a second each on a 1.3M-paper warehouse, then nothing)."""
        try:
            weeks = self.weeks()
            shown = self.week(weeks[0]["week"]) if weeks else None
            for story in (shown or {}).get("stories", []):
                self.story(story["id"])
        except Exception as exc:  # only a head start: a request meets the same problem and says it
            log.warning("web: warming the snapshot's pages failed (%s)", type(exc).__name__)


def marked(snippet: str) -> Markup:
    """A search snippet escaped, with the index's match markers as <mark>."""
    text = str(escape(snippet))
    return Markup(text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
