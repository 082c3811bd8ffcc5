"""The read queries of the web application's pages, on the published snapshot (polars frames and rows)."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl


def report(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, Any] | None:
    """The stored report row of `week`, or None."""
    frame = con.sql("SELECT week, week_start, papers, summary FROM reports WHERE week = ?", params=[week]).pl()
    return frame.row(0, named=True) if frame.height else None


def stories(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    """The stories of `week`'s report, strongest first."""
    return con.sql(
        """SELECT story_id, rank, label, terms, horizon, papers, per_week, baseline_per_week, growth, score, since,
                  new, examples
           FROM stories WHERE week = ? ORDER BY rank""",
        params=[week],
    ).pl()


def story_series(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, list[tuple[str, int | None]]]:
    """Each story of `week`'s report: its weekly paper counts as (week, papers; None for no data), oldest first."""
    series: dict[str, list[tuple[str, int | None]]] = {}
    for story_id, series_week, papers in con.execute(
        "SELECT story_id, series_week, papers FROM story_weeks WHERE week = ? ORDER BY story_id, series_week", [week]
    ).fetchall():
        series.setdefault(story_id, []).append((series_week, papers))
    return series


def story_appearances(con: duckdb.DuckDBPyConnection, story_id: str) -> pl.DataFrame:
    """Every week whose report told story `story_id`, oldest first, with its figures that week."""
    return con.sql(
        """SELECT week, rank, label, terms, horizon, papers, per_week, baseline_per_week, growth, since, new, examples
           FROM stories WHERE story_id = ? ORDER BY week""",
        params=[story_id],
    ).pl()


def rising_terms(con: duckdb.DuckDBPyConnection, week: str, story_id: str) -> list[tuple[str, str | None]]:
    """The rising terms a story of `week` shows, as (term, long form)."""
    return con.execute(
        "SELECT DISTINCT term, long_form FROM rising_terms WHERE week = ? AND story_id = ? ORDER BY term",
        [week, story_id],
    ).fetchall()


def term_ids(con: duckdb.DuckDBPyConnection, spellings: list[str]) -> dict[int, str]:
    """The phrase index's ids of the terms spelled as any of `spellings` (lower case; the index keeps case), each
    with its spelling in lower case. Only repeated terms can be a story's, and their table is a fraction of
    every term's."""
    rows = con.execute(
        "SELECT term_id, lower(term) FROM repeated_terms WHERE lower(term) IN (SELECT unnest($s))", {"s": spellings}
    )
    return dict(rows.fetchall())


def papers_holding(
    con: duckdb.DuckDBPyConnection, ids: list[int], lead: list[int], since: date, until: date
) -> pl.DataFrame:
    """(arxiv_id, week, lead) of the papers first listed in the weeks from `since` to `until` (Mondays) whose
    text holds any of the terms `ids`; `lead`: it holds one of `lead` too. One pass over the phrase index."""
    return con.sql(
        """SELECT arxiv_id, week, list_has_any(term_ids, $lead) AS lead FROM paper_terms
           WHERE week BETWEEN $since AND $until AND list_has_any(term_ids, $ids)""",
        params={"since": since, "until": until, "ids": ids, "lead": lead},
    ).pl()


def paper(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> dict[str, Any] | None:
    """One paper's row, or None."""
    frame = con.sql(
        """SELECT arxiv_id, version, title, abstract, authors, published_at, github_repo, github_stars, ai_keywords,
                  organization, first_digest_date, last_digest_date
           FROM papers WHERE arxiv_id = ?""",
        params=[arxiv_id],
    ).pl()
    return frame.row(0, named=True) if frame.height else None


def sightings(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> pl.DataFrame:
    """Where and when a paper was listed: source, digest date, rank and its latest upvotes, newest first."""
    return con.sql(
        """SELECT source, digest_date, rank, upvotes, comments FROM sightings WHERE arxiv_id = ?
           ORDER BY digest_date DESC, source""",
        params=[arxiv_id],
    ).pl()


def upvote_history(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> list[tuple[Any, int]]:
    """A paper's upvotes each time they were observed (any source), oldest first."""
    return con.execute(
        """SELECT observed_at, max(upvotes) FROM observations WHERE arxiv_id = ? AND upvotes IS NOT NULL
           GROUP BY observed_at ORDER BY observed_at""",
        [arxiv_id],
    ).fetchall()


def paper_cards(con: duckdb.DuckDBPyConnection, ids: list[str]) -> pl.DataFrame:
    """Title, authors, upvotes and sources of the papers `ids` (in no order)."""
    return con.sql(
        """SELECT p.arxiv_id, p.title, p.authors, max(s.upvotes) AS upvotes, list(DISTINCT s.source) AS sources
           FROM papers p LEFT JOIN sightings s USING (arxiv_id)
           WHERE p.arxiv_id IN (SELECT unnest($ids)) GROUP BY p.arxiv_id, p.title, p.authors""",
        params={"ids": ids},
    ).pl()


def naive_search(con: duckdb.DuckDBPyConnection, words: list[str], limit: int) -> list[str]:
    """The baseline of bench/web_bench.py: papers whose abstract holds every word (ILIKE), most upvoted first."""
    where = " AND ".join(["abstract ILIKE ?"] * len(words)) or "true"
    return [
        row[0]
        for row in con.execute(
            f"SELECT arxiv_id FROM papers WHERE {where} ORDER BY arxiv_id DESC LIMIT ?",
            [*(f"%{w}%" for w in words), limit],
        ).fetchall()
    ]


def first_listed(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, date]:
    """When each of the papers `ids` was first listed by a digest."""
    rows = con.execute(
        "SELECT arxiv_id, first_digest_date FROM papers WHERE arxiv_id IN (SELECT unnest($ids))", {"ids": ids}
    ).fetchall()
    return dict(rows)
