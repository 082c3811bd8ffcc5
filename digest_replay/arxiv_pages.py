"""Renders arXiv listing pages and Atom feeds in arXiv's real structure, for the replay server.

The listing follows arXiv's list template (arXiv/arxiv-browse,
browse/templates/list/): "Showing new listings for ..." heading, one
`dl#articles` per section with "<Section> (showing N of M entries)", and
dt/dd pairs with list-title, list-authors, list-comments, list-subjects and
the abstract in p.mathjax.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from digest_replay.arxiv_corpus import SECTION_ORDER

CATEGORY_NAMES = {
    "cs.LG": "Machine Learning",
    "cs.CL": "Computation and Language",
    "cs.AI": "Artificial Intelligence",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.RO": "Robotics",
    "cs.IR": "Information Retrieval",
    "stat.ML": "Machine Learning",
    "cs.NE": "Neural and Evolutionary Computing",
}
_HEADINGS = {"new": "New submissions", "cross": "Cross submissions", "replacement": "Replacement submissions"}


def category_label(code: str) -> str:
    """ "Machine Learning (cs.LG)"; unknown codes get their own code as a name."""
    return f"{CATEGORY_NAMES.get(code, code)} ({code})"


def render_listing(category: str, announced: date, entries: list[tuple[dict[str, Any], str]]) -> bytes:
    """The /list/<category>/new page for one announcement."""
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(category)} new submissions"
        f"</title></head><body><div id='content'><div id='content-inner'><div id='dlpage'>"
        f"<h1>{escape(category_label(category))}</h1>",
        f"<h3>Showing new listings for {announced.strftime('%A')}, {announced.day} {announced.strftime('%B %Y')}</h3>",
        f"<div class='paging'>Total of {len(entries)} entries</div>",
    ]
    index = 1
    for section in SECTION_ORDER:
        items = [row for row, kind in entries if kind == section]
        parts.append(f"<dl id='articles'><h3>{_HEADINGS[section]} (showing {len(items)} of {len(items)} entries)</h3>")
        for row in items:
            parts.append(_item(row, index, section))
            index += 1
        parts.append("</dl>")
    if not entries:
        parts.append("<p>No updates today.</p>")
    parts.append("</div></div></div></body></html>")
    return "\n".join(parts).encode("utf-8")


def _item(row: dict[str, Any], index: int, section: str) -> str:
    arxiv_id = escape(row["id"])
    kind = {"cross": f" (cross-list from {escape(row['categories'][0])})", "replacement": " (replaced)"}.get(
        section, ""
    )
    authors = ", ".join(
        f"<a href='/search/?searchtype=author&amp;query={escape(a)}'>{escape(a)}</a>" for a in row.get("authors") or []
    )
    comment = (
        (f"<div class='list-comments mathjax'><span class='descriptor'>Comments:</span> {escape(row['comment'])}</div>")
        if row.get("comment")
        else ""
    )
    others = "".join(f"; {escape(category_label(c))}" for c in row["categories"][1:])
    abstract = f"<p class='mathjax'>{escape(row.get('summary') or '')}</p>" if section != "replacement" else ""
    return (
        f'<dt><a name=\'item{index}\'>[{index}]</a> <a href="/abs/{arxiv_id}" title="Abstract" '
        f'id="{arxiv_id}">arXiv:{arxiv_id}</a>{kind} [<a href="/pdf/{arxiv_id}" title="Download PDF">pdf</a>]'
        f"</dt>\n<dd><div class='meta'><div class='list-title mathjax'><span class='descriptor'>Title:</span> "
        f"{escape(row['title'])}</div><div class='list-authors'>{authors}</div>{comment}"
        f"<div class='list-subjects'><span class='descriptor'>Subjects:</span> "
        f"<span class='primary-subject'>{escape(category_label(row['categories'][0]))}</span>{others}</div>"
        f"{abstract}</div></dd>"
    )


def render_atom(
    rows: list[tuple[dict[str, Any], datetime]], *, total: int, start: int, per_page: int, query: str
) -> bytes:
    """An API results page in the current Atom format (opensearch paging, arxiv: extensions)."""
    now = datetime(2026, 1, 1, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>https://arxiv.org/api/replay</id><title>arXiv Query: {xml_escape(query)}</title>",
        f"  <updated>{now}</updated>",
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]
    parts += [_entry(row, submitted) for row, submitted in rows]
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")


def render_atom_error(message: str) -> bytes:
    """arXiv's error feed (served with HTTP 400)."""
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" "
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><id>https://arxiv.org/</id>'
        "<title>arXiv Search Results</title><opensearch:totalResults>1</opensearch:totalResults>"
        "<entry><id>https://arxiv.org/api/errors#replay</id><title>Error</title>"
        f"<summary>{xml_escape(message)}</summary><author><name>arXiv api core</name></author></entry></feed>"
    ).encode()


def _entry(row: dict[str, Any], submitted: datetime) -> str:
    stamp = submitted.strftime("%Y-%m-%dT%H:%M:%SZ")
    authors = "".join(f"<author><name>{xml_escape(a)}</name></author>" for a in row.get("authors") or [])
    categories = "".join(
        f'<category term="{xml_escape(c)}" scheme="http://arxiv.org/schemas/atom"/>' for c in row["categories"]
    )
    comment = f"<arxiv:comment>{xml_escape(row['comment'])}</arxiv:comment>" if row.get("comment") else ""
    return (
        f"  <entry><id>http://arxiv.org/abs/{row['id']}v1</id><title>{xml_escape(row['title'])}</title>"
        f"<updated>{stamp}</updated><published>{stamp}</published>"
        f"<summary>{xml_escape(row.get('summary') or '')}</summary>{authors}{comment}"
        f'<arxiv:primary_category term="{xml_escape(row["categories"][0])}" '
        f'scheme="http://arxiv.org/schemas/atom"/>{categories}</entry>'
    )
