"""Named read queries; each returns a polars DataFrame or a plain value."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import polars as pl

from common.sources import ARXIV, ARXIV_API, HF
from warehouse.db import registered

# The tables whose content defines the warehouse (runs are bookkeeping).
CONTENT_TABLES = ("raw_pages", "digests", "papers", "sightings", "quarantine", "observations")
_TABLE_KEYS = {
    "raw_pages": "url, sha256",
    "digests": "source, listing, digest_date",
    "papers": "arxiv_id",
    "sightings": "arxiv_id, source, digest_date",
    "quarantine": "url, sha256",
    "observations": "arxiv_id, source, digest_date, observed_at",
}


# A digest is named by what it is, not where it was fetched from: a new base URL
# (another replay port, a mirror) must not make loaded days look new.
DigestKey = tuple[str, str, str, date]  # (source, kind, listing, digest date)
_KEY_SCHEMA = {"source": pl.String, "kind": pl.String, "listing": pl.String, "digest_date": pl.Date}


def _wanted(keys: list[DigestKey]) -> pl.DataFrame:
    return pl.DataFrame(keys, schema=_KEY_SCHEMA, orient="row")


def loaded_digests(con: duckdb.DuckDBPyConnection, keys: list[DigestKey], *, settle_days: int = 1) -> set[DigestKey]:
    """The digests among `keys` that have given a page which extracted, from whatever URL.

    An empty page fetched less than `settle_days` after its digest date may only
    mean the digest was not published yet, so it does not count as loaded.
    """
    with registered(con, wanted=_wanted(keys)):
        rows = con.execute(
            f"""SELECT DISTINCT r.source, r.kind, r.listing, r.digest_date
                               FROM raw_pages r SEMI JOIN wanted USING (source, kind, listing, digest_date)
                               WHERE {_EXTRACTED_PAGE}
                                 AND NOT EXISTS (SELECT 1 FROM digests d
                                                 WHERE d.source = r.source AND d.listing = r.listing
                                                   AND d.digest_date = r.digest_date AND d.sha256 = r.sha256
                                                   AND d.entries = 0
                                                   AND d.fetched_at < d.digest_date + to_days(?::INTEGER + 1))""",
            [settle_days],
        ).fetchall()
    return {tuple(row) for row in rows}


def digest_validators(
    con: duckdb.DuckDBPyConnection, keys: list[DigestKey]
) -> dict[DigestKey, tuple[str, str | None, str | None]]:
    """Per digest: (sha256, etag, last_modified) of the newest page fetched for it that extracted."""
    with registered(con, wanted=_wanted(keys)):
        rows = con.execute(f"""SELECT r.source, r.kind, r.listing, r.digest_date, arg_max(r.sha256, r.fetched_at),
                                      arg_max(r.etag, r.fetched_at), arg_max(r.last_modified, r.fetched_at)
                               FROM raw_pages r SEMI JOIN wanted USING (source, kind, listing, digest_date)
                               WHERE {_EXTRACTED_PAGE} GROUP BY ALL""").fetchall()
    return {
        (source, kind, listing, day): (sha, etag, modified) for source, kind, listing, day, sha, etag, modified in rows
    }


# A raw page that extracted: fetched whole and never quarantined.
_EXTRACTED_PAGE = """NOT r.truncated AND NOT EXISTS (SELECT 1 FROM quarantine q
                                            WHERE q.url = r.url AND q.sha256 = r.sha256)"""


def raw_pages(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every archived page, oldest fetch first (the order `reextract` replays them in)."""
    return con.sql("SELECT * FROM raw_pages ORDER BY fetched_at, url, sha256").pl()


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count per table."""
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in (*CONTENT_TABLES, "runs")}


def newest_digest_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The newest digest date any source has a sighting on, or None for an empty warehouse."""
    return con.execute("SELECT max(digest_date) FROM sightings").fetchall()[0][0]


def digest_weeks(con: duckdb.DuckDBPyConnection) -> dict[str, set[date]]:
    """Per source, the ISO weeks (Mondays) it has sightings on a digest day of."""
    rows = con.execute(
        "SELECT source, list(DISTINCT date_trunc('week', digest_date)::DATE) FROM sightings GROUP BY source"
    ).fetchall()
    return {source: set(weeks) for source, weeks in rows}


def week_paper_count(con: duckdb.DuckDBPyConnection, monday: date) -> int:
    """Papers first listed in the ISO week starting `monday`."""
    return con.execute(
        "SELECT count(*) FROM papers WHERE first_digest_date BETWEEN $monday AND $monday + 6", {"monday": monday}
    ).fetchall()[0][0]


def open_quarantine_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many quarantined pages still lack a loaded digest for their day."""
    return con.execute("SELECT count(*) FROM open_quarantine").fetchall()[0][0]


def open_quarantine(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Quarantined pages whose day has not been loaded since."""
    return con.sql("""SELECT source, digest_date, url, sha256, error, fetched_at
                      FROM open_quarantine ORDER BY digest_date, url""").pl()


def top_papers(con: duckdb.DuckDBPyConnection, since: date, until: date, limit: int = 10) -> pl.DataFrame:
    """Papers first listed in [since, until], most upvoted first (latest observed counts)."""
    return con.sql(
        """SELECT p.arxiv_id, p.title, max(s.upvotes) AS upvotes, min(s.digest_date) AS listed
                      FROM papers p JOIN sightings s USING (arxiv_id)
                      WHERE p.first_digest_date BETWEEN $since AND $until
                      GROUP BY ALL ORDER BY upvotes DESC NULLS LAST, p.arxiv_id LIMIT $limit""",
        params={"since": since, "until": until, "limit": limit},
    ).pl()


def content_hash(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = CONTENT_TABLES) -> str:
    """A sha256 over every row of the content tables in key order (idempotency checks)."""
    digest = hashlib.sha256()
    for table in tables:
        digest.update(table.encode())
        # A row cast to text covers every column, nested ones included.
        rows = con.execute(
            f"SELECT coalesce(string_agg(t::VARCHAR, chr(10) ORDER BY {_TABLE_KEYS[table]}), '') FROM {table} t"
        ).fetchall()[0][0]
        digest.update(rows.encode())
    return digest.hexdigest()


def latest_listing_dates(con: duckdb.DuckDBPyConnection, categories: list[str]) -> dict[str, date]:
    """Per arXiv category followed: the newest listing date loaded (missing categories are absent)."""
    rows = con.execute(
        """SELECT listing, max(digest_date) FROM digests
                          WHERE source = ? AND list_contains(?, listing) GROUP BY listing""",
        [ARXIV, categories],
    ).fetchall()
    return dict(rows)


def loaded_api_days(con: duckdb.DuckDBPyConnection, category: str, *, settle_days: int = 1) -> set[date]:
    """Submission days of `category` whose API query came in whole (an empty day once it has settled)."""
    rows = con.execute(
        """SELECT window_date FROM api_windows
                          WHERE source = ? AND listing = ? AND complete
                            AND (total > 0 OR fetched_at >= window_date + to_days(?::INTEGER + 1))""",
        [ARXIV_API, category, settle_days],
    ).fetchall()
    return {row[0] for row in rows}


def digests_by_source(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many digests (day pages, category listings, API pages) each source holds."""
    return dict(con.execute("SELECT source, count(*) FROM digests GROUP BY 1 ORDER BY 1").fetchall())


def archive_size(con: duckdb.DuckDBPyConnection) -> tuple[int, float]:
    """(raw pages, megabytes) kept in the raw archive."""
    pages, size = con.execute("SELECT count(*), coalesce(sum(size), 0) FROM raw_pages").fetchall()[0]
    return pages, size / 1e6


def papers_first_listed(con: duckdb.DuckDBPyConnection, since: date, until: date) -> pl.DataFrame:
    """Papers whose first digest date is in [since, until], with their best upvotes and sources (for trends)."""
    # Sightings are aggregated before the join; none of these papers has one before `since`.
    return con.sql(
        """SELECT p.arxiv_id, p.first_digest_date, p.title, s.upvotes, s.sources,
                             p.github_repo, p.primary_category
                      FROM papers p JOIN (SELECT arxiv_id, max(upvotes) AS upvotes,
                                                 list_sort(list_distinct(list(source))) AS sources
                                          FROM sightings WHERE digest_date >= $since GROUP BY arxiv_id) s
                                    USING (arxiv_id)
                      WHERE p.first_digest_date BETWEEN $since AND $until
                      ORDER BY p.first_digest_date, p.arxiv_id""",
        params={"since": since, "until": until},
    ).pl()


def weekly_source_volume(con: duckdb.DuckDBPyConnection, since: date, until: date) -> pl.DataFrame:
    """Distinct papers per ISO week (Monday) and source, by digest date, in [since, until]."""
    return con.sql(
        """SELECT date_trunc('week', digest_date)::DATE AS week, source,
                             count(DISTINCT arxiv_id) AS papers
                      FROM sightings WHERE digest_date BETWEEN $since AND $until AND source <> $arxiv_api
                      GROUP BY ALL ORDER BY week, source""",
        params={"since": since, "until": until, "arxiv_api": ARXIV_API},
    ).pl()


def upvote_gainers(con: duckdb.DuckDBPyConnection, since: date, until: date, limit: int = 10) -> pl.DataFrame:
    """Sightings on digests of [since, until] that gained the most upvotes between observations."""
    return con.sql(
        """SELECT g.arxiv_id, p.title, g.last_upvotes AS upvotes, g.gain, p.github_repo
                      FROM upvote_gains g JOIN papers p USING (arxiv_id)
                      WHERE g.digest_date BETWEEN $since AND $until AND g.gain > 0
                      ORDER BY g.gain DESC, g.arxiv_id LIMIT $limit""",
        params={"since": since, "until": until, "limit": limit},
    ).pl()


def digest_dates(con: duckdb.DuckDBPyConnection, sources: tuple[str, ...]) -> dict[tuple[str, str], set[date]]:
    """Per (source, listing) among `sources`: every digest date loaded (status judges freshness and gaps)."""
    rows = con.execute(
        "SELECT source, listing, list(digest_date) FROM digests WHERE list_contains(?, source) GROUP BY ALL",
        [list(sources)],
    ).fetchall()
    return {(source, listing): set(days) for source, listing, days in rows}


def last_runs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The latest run of each flow, newest first, with how long it took and what it did."""
    return con.sql("""SELECT flow, status, started_at, finished_at,
                             round(epoch(finished_at) - epoch(started_at), 1) AS seconds,
                             pages_fetched, pages_not_modified, pages_failed, pages_quarantined,
                             new_papers, new_sightings, updated_sightings, error, host, pid
                      FROM runs QUALIFY row_number() OVER (PARTITION BY flow ORDER BY started_at DESC) = 1
                      ORDER BY started_at DESC""").pl()


def email_papers(con: duckdb.DuckDBPyConnection, since: date, until: date, *, hf_day: bool = False) -> pl.DataFrame:
    """What an email shows of each paper first listed in [since, until], best first: title, authors,
    ai_summary, abstract, upvotes, github_repo, ai_keywords, hf_rank, first_digest_date. With `hf_day` (since == until), the
    papers of that day's HF digest instead, in HF's order."""
    return con.sql(
        """SELECT p.arxiv_id, p.title, p.authors, p.ai_summary, p.abstract, p.github_repo, p.ai_keywords,
                  s.upvotes, s.hf_rank, p.first_digest_date
           FROM papers p JOIN (SELECT arxiv_id, max(upvotes) AS upvotes,
                                      min(rank) FILTER (WHERE source = $hf AND digest_date = $until) AS hf_rank
                               FROM sightings WHERE digest_date BETWEEN $since AND $until GROUP BY arxiv_id) s
                         USING (arxiv_id)
           WHERE CASE WHEN $hf_day THEN s.hf_rank IS NOT NULL ELSE p.first_digest_date BETWEEN $since AND $until END
           ORDER BY CASE WHEN $hf_day THEN s.hf_rank END, s.upvotes DESC NULLS LAST, p.arxiv_id""",
        params={"since": since, "until": until, "hf_day": hf_day, "hf": HF},
    ).pl()


def hf_digest_loaded(con: duckdb.DuckDBPyConnection, day: date) -> bool:
    """Did HF publish a digest of `day` that is loaded (a day worth a daily email)?"""
    found = con.execute("SELECT 1 FROM sightings WHERE source = ? AND digest_date = ? LIMIT 1", [HF, day]).fetchall()
    return bool(found)


def paper_titles(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str]:
    """arXiv id -> title of the papers `ids` that the warehouse holds."""
    frame = pl.DataFrame({"arxiv_id": ids}, schema={"arxiv_id": pl.String})
    with registered(con, wanted=frame):
        rows = con.execute(
            "SELECT arxiv_id, title FROM papers WHERE arxiv_id IN (SELECT arxiv_id FROM wanted)"
        ).fetchall()
    return dict(rows)
