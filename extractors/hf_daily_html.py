"""Extractor for Hugging Face digest pages (`/papers/date/YYYY-MM-DD`) and paper pages.

The page embeds its paper list as JSON in the `data-props` attribute of a Svelte
hydration div. We read that first; when it is gone we fall back to the
server-rendered `<article>` cards, which carry less (no abstract, no authors).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from bs4 import BeautifulSoup, Tag

from common.ids import InvalidArxivId, split_arxiv_id
from common.records import PaperRecord
from common.sources import HF_PAGE
from common.text import fold_spaces
from extractors.errors import EntryInvalid, MalformedPayload, PageDateMismatch, StructureMissing
from extractors.hf_entry import SOURCE, record_from_entry

# Targets whose props carry papers: the digest's list, or one paper's page.
_LIST_TARGET = "DailyPapers"
_PAPER_TARGET = "PaperContent"
# One whole start tag, quoted attribute values included (they may hold '>').
_START_TAG = re.compile(r"""<div(?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*\s*/?>""")
_PAPER_HREF = re.compile(r"^/papers/([^/?#]+)$")


def parse_daily_page(
    body: bytes, *, digest_date: date, observed_at: datetime, where: str = HF_PAGE
) -> list[PaperRecord]:
    """Return the page's records in rank order.

    Raises StructureMissing when the page has neither hydration props nor
    paper cards (a layout change must fail loudly, not load zero rows),
    MalformedPayload when the props are not valid JSON, and PageDateMismatch
    when the props say the page is another day's digest than `digest_date`
    (HF answers some dates with another day's list; it must never load under the wrong day).
    """
    text = body.decode("utf-8", errors="replace")
    entries = _entries_from_props(text, where=where, digest_date=digest_date)
    if entries is None:
        soup = BeautifulSoup(text, "html.parser")
        entries = _entries_from_props_tree(soup, where=where, digest_date=digest_date)
        if entries is None:
            return _records_from_cards(soup, digest_date=digest_date, observed_at=observed_at, where=where)
    return [
        record_from_entry(e, rank=r, digest_date=digest_date, observed_at=observed_at, where=where)
        for r, e in enumerate(entries, start=1)
    ]


def page_date(body: bytes, *, where: str = HF_PAGE) -> date | None:
    """The digest date a digest page says it shows, from its props; None when it does not say.

    HF's props have named it differently over time (`date` in 2024, as
    '2024-08-01T00:00:00.000Z'), so any top-level key naming a date counts,
    `date` first, never the neighbours `nextDate`/`prevDate`.
    """
    found = _props_div(body.decode("utf-8", errors="replace"), (_LIST_TARGET,))
    return None if found is None else _stated_date(_props(found[0], _LIST_TARGET, where=where))


def _stated_date(props: dict[str, Any]) -> date | None:
    keys = sorted(
        (k for k in props if "date" in k.lower() and not k.lower().startswith(("next", "prev"))),
        key=lambda k: (k != "date", k),
    )
    for key in keys:
        value = props[key]
        if isinstance(value, str) and _ISO_DAY.match(value):
            return date.fromisoformat(value[:10])
    return None


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:$|T)")


def _entries_from_props(text: str, *, where: str, digest_date: date) -> list[dict[str, Any]] | None:
    found = _props_div(text, (_LIST_TARGET, _PAPER_TARGET))
    return None if found is None else _entries(*found, where=where, digest_date=digest_date)


def _props_div(text: str, targets: tuple[str, ...]) -> tuple[Tag, str] | None:
    # Fast path: locate the hydration tag by its target and parse that tag
    # alone (~1 ms) instead of the whole page (~60 ms).
    for target in targets:
        for hit in re.finditer(rf"""data-target\s*=\s*["']?{target}\b""", text):
            start = text.rfind("<div", 0, hit.start())
            tag = _START_TAG.match(text, start) if start >= 0 else None
            if tag is None or tag.end() < hit.end():
                continue
            div = BeautifulSoup(tag.group(0), "html.parser").div
            if div is not None and div.get("data-props") is not None:
                return div, target
    return None


def _entries_from_props_tree(soup: BeautifulSoup, *, where: str, digest_date: date) -> list[dict[str, Any]] | None:
    for target in (_LIST_TARGET, _PAPER_TARGET):
        div = soup.find("div", attrs={"data-target": target, "data-props": True})
        if div is not None:
            return _entries(div, target, where=where, digest_date=digest_date)
    return None


def _entries(div: Tag, target: str, *, where: str, digest_date: date) -> list[dict[str, Any]]:
    props = _props(div, target, where=where)
    if target == _PAPER_TARGET:
        if not isinstance(props.get("paper"), dict):
            raise StructureMissing("PaperContent props carry no 'paper'", source=where)
        return [{"paper": props["paper"], "numComments": len(props.get("comments") or [])}]
    shown = _stated_date(props)
    if shown is not None and shown != digest_date:
        raise PageDateMismatch(f"the page is the digest of {shown}, not of {digest_date} as requested", source=where)
    papers = props.get("dailyPapers")
    if not isinstance(papers, list):
        raise StructureMissing("DailyPapers props carry no 'dailyPapers' list", source=where)
    return papers


def _props(div: Tag, target: str, *, where: str) -> dict[str, Any]:
    raw = div["data-props"]
    if not isinstance(raw, str):  # bs4 lists only multi-valued attributes such as class; data-props is one string
        raise MalformedPayload(f"{target} data-props is not a single string", source=where)
    try:
        props = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise MalformedPayload(f"{target} data-props is not valid JSON ({exc})", source=where) from exc
    except RecursionError as exc:
        raise MalformedPayload(f"{target} data-props is nested too deeply to be HF's props", source=where) from exc
    if not isinstance(props, dict):
        raise MalformedPayload(f"{target} data-props is a {type(props).__name__}, not an object", source=where)
    return props


def _records_from_cards(
    soup: BeautifulSoup, *, digest_date: date, observed_at: datetime, where: str
) -> list[PaperRecord]:
    records: list[PaperRecord] = []
    for card in soup.find_all("article"):
        record = _record_from_card(
            card, rank=len(records) + 1, digest_date=digest_date, observed_at=observed_at, where=where
        )
        if record is not None:
            records.append(record)
    if not records:
        raise StructureMissing(
            "no DailyPapers data-props and no <article> paper cards; has the page layout changed?", source=where
        )
    return records


def _record_from_card(
    card: Tag, *, rank: int, digest_date: date, observed_at: datetime, where: str
) -> PaperRecord | None:
    link = card.select_one("h3 a[href]")
    href = link.get("href") if link is not None else None
    match = _PAPER_HREF.match(href) if isinstance(href, str) else None
    if link is None or match is None:
        return None  # not a paper card (HF's page has other <article>s)
    try:
        arxiv_id, version = split_arxiv_id(match.group(1))
    except InvalidArxivId as exc:
        # As in the props and the API (hf_entry.py): a paper entry without a valid id fails the page.
        raise EntryInvalid(f"card {rank}: {exc}", source=where) from exc
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE,
        digest_date=digest_date,
        rank=rank,
        title=fold_spaces(link.get_text()),
        observed_at=observed_at,
        # The "Submitted by" badge is also .leading-none; the vote count is the numeric one.
        upvotes=next((v for v in map(_card_int, card.select("div.leading-none")) if v is not None), None),
        comments=_card_int(card.select_one('a[href$="#community"]')),
        submitter=_card_submitter(card),
    )


def _card_int(node: Tag | None) -> int | None:
    text = node.get_text(strip=True) if node else ""
    return int(text) if text.isdigit() else None


def _card_submitter(card: Tag) -> str | None:
    for div in card.find_all("div", recursive=True):
        text = fold_spaces(div.get_text(" "))
        if text.startswith("Submitted by "):
            return text.removeprefix("Submitted by ").strip() or None
    return None
