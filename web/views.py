"""What each browse page shows, computed from the snapshot (plain dicts for the templates).

Every link is ours (a path built from a validated id) or built by
reports.links on its allow-list; every scraped string is left to the
templates' escaping.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import duckdb
import polars as pl

from common.ids import InvalidArxivId, canonical_arxiv_id
from reports import links
from reports.stories import when_words
from reports.weeks import WEEK_LABEL, iso_week, week_start
from warehouse import queries, web_queries
from warehouse.report_store import report_weeks
from web import charts

AUTHORS_SHOWN = 4
TOP_PAPERS = 10
YEAR_WEEKS = 52
STORY_PAPERS = 200  # papers listed on a story's page
STORY_ID = re.compile(r"^[a-z0-9-]{1,120}$")


def paper_href(arxiv_id: str) -> str | None:
    """Our page of a paper, for a valid arXiv id only."""
    try:
        return f"/papers/{quote(canonical_arxiv_id(arxiv_id))}"
    except InvalidArxivId:
        return None


def story_href(story_id: str) -> str | None:
    return f"/stories/{story_id}" if STORY_ID.match(story_id) else None


def week_href(week: str) -> str | None:
    return f"/weeks/{week}" if WEEK_LABEL.match(week) else None


def authors_line(authors: list[str] | None) -> str:
    names = list(authors or [])
    return ", ".join(names[:AUTHORS_SHOWN]) + (" et al." if len(names) > AUTHORS_SHOWN else "")


def card(row: dict[str, Any]) -> dict[str, Any]:
    """A paper as lists show it: title, authors, upvotes, our page and its outside links."""
    return {
        "id": row["arxiv_id"],
        "title": row["title"],
        "authors": authors_line(row.get("authors")),
        "upvotes": row.get("upvotes"),
        "href": paper_href(row["arxiv_id"]),
        "links": links.paper_links(row["arxiv_id"], row.get("github_repo")),
    }


def weeks(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return [{"week": w, "summary": s, "href": week_href(w)} for w, s in report_weeks(con)]


def week(con: duckdb.DuckDBPyConnection, label: str) -> dict[str, Any] | None:
    """A week's report page: its summary, stories (figures, series chart, examples) and top papers."""
    stored = web_queries.report(con, label)
    if stored is None:
        return None
    series = web_queries.story_series(con, label)
    stories = web_queries.stories(con, label)
    example_ids = [i for ids in stories["examples"].to_list() for i in ids] if stories.height else []
    cards = {r["arxiv_id"]: card(r) for r in web_queries.paper_cards(con, example_ids).iter_rows(named=True)}
    told = []
    for row in stories.iter_rows(named=True):
        told.append(
            story_view(row, label)
            | {
                "chart": charts.bars(
                    [(w, n) for w, n in series.get(row["story_id"], [])],
                    f"{row['label']}: papers a week",
                    highlight=label,
                ),
                "examples": [cards[i] for i in row["examples"] if i in cards],
            }
        )
    monday = week_start(label)
    top = queries.top_papers(con, monday, monday + timedelta(days=6), TOP_PAPERS)
    known = [w for w, _ in report_weeks(con)]
    position = known.index(label)
    return {
        "week": label,
        "monday": monday,
        "papers": stored["papers"],
        "summary": stored["summary"],
        "stories": told,
        "top": [card(r) for r in top.iter_rows(named=True)],
        "newer": week_href(known[position - 1]) if position > 0 else None,
        "older": week_href(known[position + 1]) if position + 1 < len(known) else None,
    }


def story_view(row: dict[str, Any], week_label: str) -> dict[str, Any]:
    return {
        "id": row.get("story_id"),
        "href": story_href(row["story_id"]) if row.get("story_id") else None,
        "label": row["label"],
        "terms": [t for t in row["terms"] if t != row["label"]],
        "when": when_words(row["horizon"], row["new"], row["since"], week_label),
        "papers": row["papers"],
        "per_week": row["per_week"],
        "baseline_per_week": row["baseline_per_week"],
        "growth": row["growth"],
    }


def story(con: duckdb.DuckDBPyConnection, story_id: str) -> dict[str, Any] | None:
    """A story's page: when it rose, the weeks that told it, its papers a week over the year, all its papers."""
    told = web_queries.story_appearances(con, story_id)
    if not told.height:
        return None
    latest = told.row(told.height - 1, named=True)
    # The story's figures and the week page's series are its first term's (reports/stories.py): so is the
    # chart here. Its papers are those of every term it shows.
    long_forms = web_queries.rising_terms(con, latest["week"], story_id)
    lead_name = latest["terms"][0] if latest["terms"] else latest["label"]
    lead = _spellings([lead_name, *(f for t, f in long_forms if f and lead_name.lower().startswith(t.lower()))])
    every = _spellings([*latest["terms"], *(f for _, f in long_forms if f)])
    found = web_queries.term_ids(con, sorted(set(every) | set(lead)))  # one lookup for both lists
    ids, lead_ids = list(found), [term_id for term_id, spelled in found.items() if spelled in lead]
    end = week_start(latest["week"])
    since = end - timedelta(weeks=YEAR_WEEKS - 1)
    hits = (
        web_queries.papers_holding(con, ids, lead_ids, since, end)
        if ids
        else pl.DataFrame({"arxiv_id": [], "week": [], "lead": []})
    )
    leading = hits.filter(pl.col("lead")) if hits.height else hits
    counts = dict(leading.group_by("week").len().iter_rows()) if leading.height else {}
    year = [
        (iso_week(since + timedelta(weeks=i)), counts.get(since + timedelta(weeks=i), 0)) for i in range(YEAR_WEEKS)
    ]
    papers = _newest_first(con, hits)
    return {
        "story": story_view(latest, latest["week"]),
        "week": latest["week"],
        "since": latest["since"],
        "told": [
            {"week": r["week"], "href": week_href(r["week"]), "rank": r["rank"], "growth": r["growth"]}
            for r in told.iter_rows(named=True)
        ],
        "chart": charts.bars(year, f"{lead_name}: papers a week over the year", highlight=latest["week"]),
        "lead": lead_name,
        "terms": list(latest["terms"]),
        "papers": papers,
        "indexed": bool(lead_ids),
    }


def _newest_first(con: duckdb.DuckDBPyConnection, hits: pl.DataFrame) -> list[dict[str, Any]]:
    """Up to STORY_PAPERS of `hits` as cards: the newest weeks first, most upvoted first within a week."""
    if not hits.height:
        return []
    weeks = hits.group_by("week").len().sort("week", descending=True)
    kept = weeks.filter(weeks["len"].cum_sum() - weeks["len"] < STORY_PAPERS)["week"]
    newest = hits.filter(pl.col("week").is_in(kept.implode())).select("arxiv_id", "week")
    cards = web_queries.paper_cards(con, newest["arxiv_id"].to_list()).join(newest, on="arxiv_id")
    cards = cards.sort(["week", "upvotes", "arxiv_id"], descending=[True, True, False], nulls_last=True)
    return [
        card(r) | {"week": f"first listed {iso_week(r['week'])}"}
        for r in cards.head(STORY_PAPERS).iter_rows(named=True)
    ]


def _spellings(terms: list[str]) -> list[str]:
    """The phrase index's spellings of `terms`: lower case, with and without hyphens and a plural s."""
    found: set[str] = set()
    for term in terms:
        base = term.lower().split(" (")[0].strip()  # "opd (on-policy distillation)" -> "opd"
        for form in (base, base.replace("-", " "), base.replace(" ", "-")):
            found |= {form, form + "s", form.removesuffix("s")}
    return sorted(f for f in found if f)


def paper(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> dict[str, Any] | None:
    """A paper's page: what it is, where and when it was listed, its upvotes over time, its links."""
    row = web_queries.paper(con, arxiv_id)
    if row is None:
        return None
    sightings = web_queries.sightings(con, arxiv_id)
    history = web_queries.upvote_history(con, arxiv_id)
    return {
        "id": row["arxiv_id"],
        "title": row["title"],
        "authors": list(row["authors"] or []),
        "abstract": row["abstract"],
        "keywords": list(row["ai_keywords"] or []),
        "organization": row["organization"],
        "published": row["published_at"],
        "first": row["first_digest_date"],
        "last": row["last_digest_date"],
        "links": links.paper_links(row["arxiv_id"], row["github_repo"]),
        "stars": row["github_stars"],
        "sightings": list(sightings.iter_rows(named=True)),
        "chart": charts.line([(t.strftime("%Y-%m-%d %H:%M"), float(v)) for t, v in history], "upvotes over time"),
        "first_week": week_href(iso_week(row["first_digest_date"]))
        if isinstance(row["first_digest_date"], date)
        else None,
    }


def similar_query(page: dict[str, Any]) -> str:
    """What to search for papers like `page`'s: its keywords, else its title."""
    return " ".join(page["keywords"][:6]) if page["keywords"] else page["title"]
