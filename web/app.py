"""`papertrend web`: the Starlette application. Browse pages read the published snapshot; subscription changes
go to the audience store at once (web/subscribe.py); nothing here waits on a flow's load."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from common.ids import InvalidArxivId, canonical_arxiv_id
from flows.settings import Settings
from reports.weeks import WEEK_LABEL, week_start
from warehouse import web_queries
from warehouse.errors import WarehouseError
from warehouse.search_index import COUNTED, RANKED, SearchFailed
from web import feeds, subscribe, views
from web.guard import FormRefused, Guard
from web.site import Site

log = logging.getLogger("papertrend.web")
PAGE_SIZE = 20
MAX_PAGE = 50  # pages of search results
MAX_SEARCH = 200  # characters of a search
SIMILAR = 5
STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings) -> Starlette:
    """The application over the warehouse and audience store of `settings`."""
    site = Site(settings)

    async def home(request: Request) -> Response:
        known = await run_in_threadpool(site.weeks)
        if not known:
            return site.message(request, "No weekly report yet", "Run `papertrend report` (or `make demo`) first.")
        return await _week(request, known[0]["week"], home=True)

    async def weeks(request: Request) -> Response:
        known = await run_in_threadpool(site.weeks)
        return site.page(request, "weeks.html.j2", weeks=known)

    async def week(request: Request) -> Response:
        return await _week(request, request.path_params["week"])

    async def _week(request: Request, label: str, *, home: bool = False) -> Response:
        if not WEEK_LABEL.match(label):
            return site.message(request, "Not a week", "Weeks are written like 2026-W17.", 404)
        shown = await run_in_threadpool(site.week, label)
        if shown is None:
            return site.message(request, f"No report for {label}", "See every week's report under Weeks.", 404)
        return site.page(request, "week.html.j2", w=shown, home=home)

    async def story(request: Request) -> Response:
        story_id = request.path_params["story_id"]
        if not views.STORY_ID.match(story_id):
            return site.message(request, "No such story", "Stories are listed on each week's page.", 404)
        shown = await run_in_threadpool(site.story, story_id)
        if shown is None:
            return site.message(request, "No such story", "Stories are listed on each week's page.", 404)
        return site.page(request, "story.html.j2", s=shown)

    async def paper(request: Request) -> Response:
        try:
            arxiv_id = canonical_arxiv_id(request.path_params["arxiv_id"])
        except InvalidArxivId:
            return site.message(request, "Not an arXiv id", "Papers are found by their arXiv id, e.g. 2604.01234.", 404)
        shown = await run_in_threadpool(site.paper, arxiv_id)
        if shown is None:
            return site.message(
                request, "Paper not in the warehouse", f"{arxiv_id} was not listed by a digest we read.", 404
            )
        try:
            found = await run_in_threadpool(
                site.index.similar,
                views.similar_query(shown),
                limit=SIMILAR,
                exclude=arxiv_id,
                timeout=settings.web_search_timeout,
            )
            similar = [{"id": h.arxiv_id, "title": h.title, "href": views.paper_href(h.arxiv_id)} for h in found]
        except SearchFailed:
            similar = []
        return site.page(request, "paper.html.j2", p=shown, similar=similar)

    async def search(request: Request) -> Response:
        query = request.query_params.get("q", "")
        page_number = request.query_params.get("page", "1")
        if len(query) > MAX_SEARCH:
            return site.page(
                request,
                "search.html.j2",
                400,
                q=query[:MAX_SEARCH],
                hits=[],
                total=0,
                error=f"The search is longer than {MAX_SEARCH} characters; shorten it.",
                pages={},
            )
        number = int(page_number) if page_number.isdigit() and 1 <= int(page_number) <= MAX_PAGE else 1
        if not query.strip():
            return site.page(request, "search.html.j2", q="", hits=[], total=None, error=None, pages={})
        try:
            found = await run_in_threadpool(
                site.index.search,
                query,
                limit=PAGE_SIZE,
                offset=(number - 1) * PAGE_SIZE,
                timeout=settings.web_search_timeout,
            )
        except SearchFailed as exc:
            return site.page(request, "search.html.j2", 503, q=query, hits=[], total=None, error=str(exc), pages={})
        hits = [
            {
                "id": h.arxiv_id,
                "title": h.title,
                "authors": h.authors,
                "snippet": h.snippet,
                "href": views.paper_href(h.arxiv_id),
            }
            for h in found.hits
        ]
        link = f"/search?q={quote(query)}&page="
        more = (found.total is None and len(hits) == PAGE_SIZE) or (found.total or 0) > number * PAGE_SIZE
        pages = {
            "newer": f"{link}{number - 1}" if number > 1 else None,
            "older": f"{link}{number + 1}" if more and number < MAX_PAGE else None,
            "number": number,
            "first": (number - 1) * PAGE_SIZE + 1,
            "last": (number - 1) * PAGE_SIZE + len(hits),
        }
        return site.page(
            request,
            "search.html.j2",
            q=query,
            hits=hits,
            total=found.total,
            error=None,
            pages=pages,
            feed=f"/feeds/search.atom?q={quote(query)}",
            counted=COUNTED,
            ranked=RANKED,
        )

    async def weeks_feed(request: Request) -> Response:
        known = await run_in_threadpool(site.weeks)
        entries = [
            feeds.Entry(
                f"week:{w['week']}",
                f"papertrend {w['week']}",
                site.base + w["href"],
                week_start(w["week"]),
                w["summary"],
            )
            for w in known[:52]
        ]
        body = feeds.atom(
            key="weeks",
            title="papertrend weekly reports",
            self_link=site.base + "/feeds/weeks.atom",
            page_link=site.base + "/weeks",
            entries=entries,
        )
        return Response(body, media_type="application/atom+xml")

    async def search_feed(request: Request) -> Response:
        query = request.query_params.get("q", "")[:MAX_SEARCH]
        try:
            found = await run_in_threadpool(
                site.index.search, query, limit=PAGE_SIZE, timeout=settings.web_search_timeout
            )
        except SearchFailed as exc:
            return PlainTextResponse(str(exc), status_code=503)
        ids = [h.arxiv_id for h in found.hits]
        dates = await run_in_threadpool(
            site.snapshot.read, ("first-listed", *ids), lambda con: web_queries.first_listed(con, ids)
        )
        entries = [
            feeds.Entry(
                f"paper:{h.arxiv_id}",
                h.title,
                site.base + (views.paper_href(h.arxiv_id) or "/"),
                dates.get(h.arxiv_id) or date(2000, 1, 1),
                h.authors,
            )
            for h in found.hits
        ]
        body = feeds.atom(
            key=f"search:{quote(query)}",
            title=f"papertrend: {query}",
            self_link=f"{site.base}/feeds/search.atom?q={quote(query)}",
            page_link=f"{site.base}/search?q={quote(query)}",
            entries=entries,
        )
        return Response(body, media_type="application/atom+xml")

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FormRefused)
        return site.message(request, "Form not accepted", str(exc).capitalize() + ".", exc.status)

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("web: %s", exc)
        return site.message(request, "Nothing to show yet", str(exc), 503)

    async def not_found(request: Request, exc: Exception) -> Response:
        return site.message(request, "Not found", "There is no page here. Start from the latest week.", 404)

    routes = [
        Route("/", home),
        Route("/weeks", weeks),
        Route("/weeks/{week}", week),
        Route("/stories/{story_id}", story),
        Route("/papers/{arxiv_id:path}", paper),
        Route("/search", search),
        Route("/feeds/weeks.atom", weeks_feed),
        Route("/feeds/search.atom", search_feed),
        Route("/healthz", health),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # no icon, and no 404 for browsers
        *subscribe.routes(site),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Ready only once the pages most asked for are computed: the first readers do not wait for them.
        await run_in_threadpool(site.snapshot.open_and_warm)
        yield
        site.snapshot.close()

    app = Starlette(
        routes=routes,
        exception_handlers={FormRefused: refused, WarehouseError: unavailable, 404: not_found},
        lifespan=lifespan,
    )
    app.add_middleware(Guard, https=site.https)
    return app
