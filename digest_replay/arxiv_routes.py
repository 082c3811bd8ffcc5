"""The replay server's arXiv routes: /list/<category>/new pages and /api/query Atom feeds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from common.ids import InvalidArxivId, canonical_arxiv_id
from digest_replay.arxiv_corpus import ArxivCorpus
from digest_replay.arxiv_pages import render_atom, render_atom_error, render_listing

Response = tuple[int, bytes, str]
_LISTING = re.compile(r"^/list/([A-Za-z\-]+(?:\.[A-Za-z\-]+)?)/new$")
_CAT = re.compile(r"\bcat:([A-Za-z\-]+(?:\.[A-Za-z\-]+)?)")
_SUBMITTED = re.compile(r"submittedDate:\[(\d{8})(\d{4})?\s+TO\s+(\d{8})(\d{4})?\]")
_ATOM, _HTML = "application/atom+xml; charset=utf-8", "text/html; charset=utf-8"
MAX_RESULTS = 2000


def arxiv_response(corpus: ArxivCorpus, path: str, query: dict[str, list[str]]) -> Response | None:
    """The response for an arXiv path, or None when the path is not one of arXiv's."""
    listing = _LISTING.match(path)
    if listing:
        return _listing(corpus, listing.group(1), (query.get("date") or [""])[0])
    if path == "/api/query":
        return _api(corpus, query)
    return None


def _listing(corpus: ArxivCorpus, category: str, requested: str) -> Response | None:
    # Real /new pages have no date; `?date=` is a replay extension that asks for
    # the page as it was crawled that day (default: the newest crawl).
    days = corpus.days()
    if not days:
        return None
    try:
        day = date.fromisoformat(requested) if requested else days[-1]
    except ValueError:
        return None
    crawled = max((d for d in days if d <= day), default=None)
    if crawled is None:
        return 404, b"no listing", "text/plain"
    announced, entries = corpus.listing(crawled, category)
    return 200, render_listing(category, announced, entries), _HTML


def _api(corpus: ArxivCorpus, query: dict[str, list[str]]) -> Response:
    search = (query.get("search_query") or [""])[0]
    ids = [i for i in (query.get("id_list") or [""])[0].split(",") if i]
    try:
        start = int((query.get("start") or ["0"])[0])
        per_page = min(int((query.get("max_results") or ["10"])[0]), MAX_RESULTS)
        wanted = {canonical_arxiv_id(i) for i in ids}
    except (ValueError, InvalidArxivId) as exc:
        return 400, render_atom_error(f"incorrect query: {exc}"), _ATOM
    matches = [
        (row, corpus.submitted_at(row))
        for row in corpus.papers
        if (not wanted or row["id"] in wanted) and _matches(row, corpus, search)
    ]
    matches.sort(key=lambda pair: (pair[1], pair[0]["id"]))
    page = matches[start : start + per_page]
    return 200, render_atom(page, total=len(matches), start=start, per_page=per_page, query=search), _ATOM


def _matches(row: dict, corpus: ArxivCorpus, search: str) -> bool:
    category = _CAT.search(search)
    if category and category.group(1) not in row["categories"]:
        return False
    window = _SUBMITTED.search(search)
    if window:
        submitted = corpus.submitted_at(row)
        low = _stamp(window.group(1), window.group(2) or "0000")
        high = _stamp(window.group(3), window.group(4) or "2359")
        return low <= submitted <= high
    return True


def _stamp(day: str, hhmm: str) -> datetime:
    return datetime.strptime(day + hhmm, "%Y%m%d%H%M").replace(tzinfo=UTC)
