"""Renders an HF daily-papers API body as a digest page in Hugging Face's real page structure.

The replay server uses it so the page extractor is exercised on the same
shape it meets in production: a Svelte hydration div whose `data-props` hold
the paper list as HTML-escaped JSON, plus server-rendered `<article>` cards.
It reads the corpus JSON with its own code, never through our extractors, so a
round trip through the page extractor tests that extractor.
"""

from __future__ import annotations

import ast
import json
from datetime import date, timedelta
from html import escape
from typing import Any

from common.text import fold_spaces

_PAGE = """<!doctype html>
<html class=""><head><meta charset="utf-8"><title>Daily Papers - Hugging Face</title></head>
<body class="flex flex-col min-h-dvh bg-white dark:bg-gray-950 text-black DailyPapersPage">
<div class="flex min-h-dvh flex-col"><main class="flex flex-1 flex-col">
<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{props}">
<section class="container relative mb-20 mt-8 md:mt-14"><div class="relative grid grid-cols-1 gap-14 lg:grid-cols-2">
{cards}
</div></section></div>
</main></div></body></html>
"""

_CARD = """<article class="relative flex flex-col overflow-hidden rounded-xl border">
<a href="/papers/{id}" class="shadow-alternate-sm peer relative block h-56 w-full"><img src="{thumb}" alt=""></a>
<div class="pointer-events-none absolute right-2 top-56 -mt-8 flex h-6 items-center gap-1 leading-none">Submitted by
<img alt="" class="w-2.5 h-2.5 rounded-full flex-none" src="/avatars/x.svg"> {submitter}</div>
<div class="from-gray-50-to-white -mt-2 flex bg-gradient-to-b px-6 pb-6 pt-8"><div class="flex w-full gap-6">
<div class="flex flex-wrap items-center gap-2.5 pt-1"><a href="/login?next=%2Fpapers%2F{id}" class="self-start">
<div class="shadow-alternate flex h-14 w-12 gap-1 rounded-xl flex-none"><input class="peer hidden" type="checkbox" disabled>
<div class="leading-none">{upvotes}</div></div></a></div>
<div class="w-full"><h3 class="mb-1 text-lg/6 font-semibold hover:underline"><a href="/papers/{id}" class="line-clamp-3 cursor-pointer text-balance">{title}</a></h3>
<div class="flex items-center justify-between"><a href="/papers/{id}" class="flex"><ul class="flex items-center flex-row-reverse text-sm">
<li class="text-gray-600 hover:text-gray-700 order-first ml-3"><div class="flex truncate text-base text-gray-350">{authors} authors</div></li></ul></a>
<a href="/papers/{id}#community" class="text-md flex items-center gap-2 text-gray-400">{comments}</a></div></div></div></div>
</article>"""


def render_daily_page(api_body: bytes, day: str) -> bytes:
    """Return the HTML digest page for `day` carrying the entries of `api_body`.

    A body that holds no list of entries renders as a page with neither props
    nor cards: the same "structure is gone" page a layout change would give.
    """
    entries = captured_entries(api_body)
    if entries is None:
        return b"<!doctype html><html><body><main><p>Daily Papers</p></main></body></html>"
    current = date.fromisoformat(day)
    props = {
        "canSubmit": False,
        "date": f"{day}T00:00:00.000Z",
        "dailyPapers": entries,
        "nextDate": (current + timedelta(1)).isoformat(),
        "prevDate": (current - timedelta(1)).isoformat(),
    }
    cards = "\n".join(_card(entry) for entry in entries)
    html = _PAGE.replace("{props}", escape(json.dumps(props, ensure_ascii=False), quote=True))
    return html.replace("{cards}", cards).encode("utf-8")


def captured_entries(api_body: bytes) -> list[dict[str, Any]] | None:
    """The entries the real site served on a captured day, or None when the capture holds none.

    The recorder behind the real captures sometimes wrapped a day as {status,
    date, count, data} or stored each entry as its Python repr; the real page
    showed the entries all the same, so the replay shows them too.
    """
    try:
        payload = json.loads(api_body)
    except ValueError:
        return None
    if isinstance(payload, dict):
        payload = payload.get("data")
    if not isinstance(payload, list):
        return None
    entries: list[dict[str, Any]] = []
    for item in payload:
        entry = _as_entry(item)
        if entry is None:
            return None
        entries.append(entry)
    return entries


def _as_entry(item: Any) -> dict[str, Any] | None:
    if isinstance(item, str):
        try:
            item = ast.literal_eval(item)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    return item if isinstance(item, dict) else None


def _card(entry: dict[str, Any]) -> str:
    paper = entry.get("paper") or {}
    submitter = paper.get("submittedOnDailyBy") or entry.get("submittedBy") or {}
    return _CARD.format(
        id=escape(str(paper.get("id", ""))),
        thumb=escape(entry.get("thumbnail") or ""),
        submitter=escape(submitter.get("user") or submitter.get("name") or ""),
        upvotes=int(paper.get("upvotes") or 0),
        title=escape(fold_spaces(str(paper.get("title", "")))),
        authors=len(paper.get("authors") or []),
        comments=int(entry.get("numComments") or 0),
    )
