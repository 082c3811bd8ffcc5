"""Extractor for arXiv's daily listing pages (`/list/<category>/new`).

Structure (arXiv's listing template): a heading "Showing new listings for
<weekday, d Month yyyy>", then one `dl#articles` per section (new submissions,
cross-lists, replacements), each opening with an h3 "<Section> (showing N of M
entries)" and holding `dt` (the abstract link) / `dd` (title, authors,
comments, subjects, abstract) pairs.

Parsed with selectolax (lexbor): bs4 reads 3-4 MB/s, too slow for busy
categories' 6 MB pages; see docs/benchmarks.md. Other pages stay on bs4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from selectolax.lexbor import LexborHTMLParser, LexborNode

from common.ids import CATEGORY_CODE, InvalidArxivId, split_arxiv_id
from common.records import PaperRecord
from common.sources import ARXIV, ARXIV_LISTING
from common.text import fold_spaces
from extractors.errors import EntryInvalid, ExtractError, StructureMissing

SOURCE = ARXIV
_ANNOUNCED = re.compile(r"Showing new listings for\s+\w+,\s+(\d{1,2} \w+ \d{4})")
_SECTION = re.compile(
    r"^\s*(New|Cross|Replacement)\w*\s+submissions\s*\(showing\s+(\d+)\s+of\s+(\d+)\s+entries\s*\)", re.I
)
_CATEGORY = re.compile(rf"\(({CATEGORY_CODE})\)")
_SECTIONS = {"new": "new", "cross": "cross", "replacement": "replacement"}
_TOTAL = re.compile(r"Total of (\d+) entries", re.I)


class ListingIncomplete(ExtractError):
    """The page announces more entries than it holds (the "silently missing papers" failure)."""


@dataclass(frozen=True)
class ListingPage:
    """A /new page: the announcement it shows, its category, its entries."""

    announced: date
    category: str | None
    records: list[PaperRecord]


def parse_listing(
    body: bytes, *, digest_date: date, observed_at: datetime, where: str = ARXIV_LISTING, category: str | None = None
) -> list[PaperRecord]:
    """The listing's entries in page order (see parse_listing_page)."""
    return parse_listing_page(body, observed_at=observed_at, where=where, category=category).records


def parse_listing_page(
    body: bytes, *, observed_at: datetime, where: str = ARXIV_LISTING, category: str | None = None
) -> ListingPage:
    """Parse a /new page; every entry is dated by the page's announcement heading.

    Raises StructureMissing when the heading or the sections are gone, and
    ListingIncomplete when a section, or the page's "Total of N entries", holds
    fewer entries than it claims, or the last entry is cut short (a page cut short).
    """
    text = body.decode("utf-8", errors="replace")
    # The HTML parser closes whatever a cut body left open, so a body cut inside its last entry would
    # parse into a whole-looking record with half its authors or abstract: its list must be closed.
    if text.rfind("<dd") > text.rfind("</dl>"):
        raise ListingIncomplete("the body ends inside its last entry; is it truncated?", source=where)
    tree = LexborHTMLParser(text)
    page = tree.css_first("#dlpage") or tree.body
    if page is None:
        raise StructureMissing("no page body", source=where)
    announced = _announcement_date(page, where=where)
    listing = category or _listing_category(page)
    records: list[PaperRecord] = []
    sections = page.css("dl#articles")
    for dl in sections:
        records += _section(
            dl, announced=announced, listing=listing, observed_at=observed_at, first_rank=len(records) + 1, where=where
        )
    if not sections and "No updates today" not in page.text(deep=True):
        raise StructureMissing("no dl#articles sections; has the listing layout changed?", source=where)
    _check_total(page, len(records), where=where)
    return ListingPage(announced, listing, records)


def _check_total(page: LexborNode, found: int, *, where: str) -> None:
    paging = page.css_first("div.paging")
    match = _TOTAL.search(paging.text()) if paging else None
    if match and int(match.group(1)) > found:
        raise ListingIncomplete(
            f"the page announces {match.group(1)} entries but holds {found}; is the body truncated?", source=where
        )


def _announcement_date(page: LexborNode, *, where: str) -> date:
    for h3 in page.css("h3"):
        match = _ANNOUNCED.search(h3.text())
        if match:
            try:
                return datetime.strptime(match.group(1), "%d %B %Y").date()
            except ValueError as exc:
                raise StructureMissing(f"unreadable announcement date {match.group(1)!r}", source=where) from exc
    raise StructureMissing("no 'Showing new listings for <date>' heading; is this a /new page?", source=where)


def _listing_category(page: LexborNode) -> str | None:
    h1 = page.css_first("h1")
    match = _CATEGORY.search(h1.text()) if h1 else None
    return match.group(1) if match else None


def _section(
    dl: LexborNode, *, announced: date, listing: str | None, observed_at: datetime, first_rank: int, where: str
) -> list[PaperRecord]:
    heading = dl.css_first("h3")
    match = _SECTION.match(heading.text()) if heading else None
    if match is None:
        raise StructureMissing("a dl#articles without its '<Section> (showing N of M entries)' heading", source=where)
    kind, shown, total = _SECTIONS[match.group(1).lower()], int(match.group(2)), int(match.group(3))
    pairs = _pairs(dl)
    if shown < total or len(pairs) < total:
        raise ListingIncomplete(
            f"{kind} section claims {total} entries but the page holds {len(pairs)}; "
            "fetch it with ?show=2000 or check for a truncated body",
            source=where,
        )
    return [
        _record(
            dt,
            dd,
            kind=kind,
            rank=first_rank + n,
            announced=announced,
            listing=listing,
            observed_at=observed_at,
            where=where,
        )
        for n, (dt, dd) in enumerate(pairs)
    ]


def _pairs(dl: LexborNode) -> list[tuple[LexborNode, LexborNode]]:
    pairs, pending = [], None
    for child in dl.iter():
        if child.tag == "dt":
            pending = child
        elif child.tag == "dd" and pending is not None:
            pairs.append((pending, child))
            pending = None
    return pairs


def _record(
    dt: LexborNode,
    dd: LexborNode,
    *,
    kind: str,
    rank: int,
    announced: date,
    listing: str | None,
    observed_at: datetime,
    where: str,
) -> PaperRecord:
    link = dt.css_first('a[title="Abstract"]') or dt.css_first('a[href*="/abs/"]')
    raw_id = (link.attributes.get("href") or "").rsplit("/abs/", 1)[-1] if link else ""
    try:
        arxiv_id, version = split_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise EntryInvalid(f"entry {rank}: {exc}", source=where) from exc
    title = _field(dd, "div.list-title", "Title:")
    if not title:
        raise EntryInvalid(f"entry {rank} ({arxiv_id}) has no title", source=where)
    subjects = dd.css_first("div.list-subjects")
    primary = dd.css_first("div.list-subjects span.primary-subject")
    categories = _CATEGORY.findall(primary.text()) if primary else []
    categories += _CATEGORY.findall(subjects.text()) if subjects else []
    abstract = dd.css_first("p.mathjax")
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE,
        digest_date=announced,
        rank=rank,
        title=title,
        observed_at=observed_at,
        abstract=_clean(abstract.text()) if abstract else None,
        authors=tuple(a for a in (_clean(n.text()) for n in dd.css("div.list-authors a")) if a),
        categories=tuple(dict.fromkeys(categories)),
        section=kind,
        listings=(listing,) if listing else (),
        arxiv_comment=_field(dd, "div.list-comments", "Comments:"),
    )


def _field(dd: LexborNode, selector: str, label: str) -> str | None:
    node = dd.css_first(selector)
    return _clean(node.text().replace(label, "", 1)) if node else None


def _clean(text: str | None) -> str | None:
    return fold_spaces(text) or None if text else None
