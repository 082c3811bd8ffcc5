"""The key-phrase index: each paper's phrases and per-week document frequencies (migration 007).

Phrases are computed outside SQL (reports.terms.phrases, called by flows);
this module stores them and answers the count queries trends need. An entry
is stale when the paper's text, first week or the phrase rules' version
changed since it was indexed; `term_weeks` is recomputed for every week a
stored batch touches, in the same transaction, so the two never disagree.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from warehouse.db import registered
from warehouse.transactions import transaction

INDEX_TABLES = ("terms", "repeated_terms", "paper_terms", "term_weeks", "term_aliases")
MIN_ALIAS_PAPERS = 2  # an acronym defined so by one paper only may be that paper's own shorthand
_OUTDATED = 0  # the version of an entry whose paper's text changed since it was indexed
_WEEK = "date_trunc('week', p.first_digest_date)::DATE"


def index_changes(
    con: duckdb.DuckDBPyConnection, version: int, since: date | None = None, until: date | None = None
) -> pl.DataFrame:
    """What indexing the papers first listed in [since, until] (default all) takes, in one pass.

    Rows: arxiv_id, week, gone. `gone` rows are entries of those
    weeks whose paper is no longer listed in them (deleted, or moved out of the
    range): remove them. The others are papers whose entry is missing or out of
    date (other phrase rules, another week, or marked stale by the load that
    changed the paper's text: mark_changed_texts_stale): index them. Oldest first, so batches cover whole weeks.
    """
    since, until = since or date.min, until or date.max
    return con.sql(
        f"""
        SELECT coalesce(p.arxiv_id, t.arxiv_id) AS arxiv_id, coalesce(p.week, t.week) AS week,
               p.arxiv_id IS NULL AS gone
        FROM (SELECT arxiv_id, first_digest_date, {_WEEK} AS week FROM papers p
              WHERE first_digest_date BETWEEN $since AND $until) p
        FULL JOIN (SELECT arxiv_id, week, version FROM paper_terms
                   WHERE week BETWEEN $since - 6 AND $until) t USING (arxiv_id)
        WHERE p.arxiv_id IS NULL OR t.arxiv_id IS NULL OR t.version <> $version OR t.week <> p.week
        ORDER BY p.first_digest_date NULLS FIRST, arxiv_id""",
        params={"since": since, "until": until, "version": version},
    ).pl()


def paper_texts(con: duckdb.DuckDBPyConnection, ids: list[str]) -> pl.DataFrame:
    """arxiv_id, text (title, '. ', abstract) and text_hash of the given papers, in the order given."""
    wanted = pl.DataFrame(
        {"arxiv_id": ids, "position": range(len(ids))}, schema={"arxiv_id": pl.String, "position": pl.Int64}
    )
    with registered(con, wanted=wanted):
        # The text hash is what mark_changed_texts_stale compares: keep the two expressions alike.
        return con.sql("""SELECT arxiv_id, p.title || '. ' || coalesce(p.abstract, '') AS text,
                                 hash(p.title, p.abstract) AS text_hash
                          FROM wanted JOIN papers p USING (arxiv_id) ORDER BY position""").pl()


def mark_changed_texts_stale(con: duckdb.DuckDBPyConnection, arxiv_ids: pl.Series) -> int:
    """Mark the entries of `arxiv_ids` whose title or abstract changed since indexing as stale; return how many."""
    touched = arxiv_ids.to_frame("arxiv_id")
    with registered(con, touched_papers=touched):
        # A paper whose text changed needs its key phrases again: the refresh at the end of every
        # flow run (flows/indexing.py) re-indexes entries at the stale version. The hash is the
        # one paper_texts stores.
        return con.execute(
            """UPDATE paper_terms SET version = $outdated
                              FROM papers p
                              WHERE paper_terms.arxiv_id = p.arxiv_id
                                AND p.arxiv_id IN (SELECT arxiv_id FROM touched_papers)
                                AND paper_terms.text_hash <> hash(p.title, p.abstract)""",
            {"outdated": _OUTDATED},
        ).fetchall()[0][0]


def remove_entries(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    """Drop the index entries of `ids` and recount their weeks; atomic."""
    gone = pl.DataFrame({"arxiv_id": ids}, schema={"arxiv_id": pl.String})
    with transaction(con), registered(con, gone=gone):
        weeks = con.sql("SELECT DISTINCT week FROM paper_terms WHERE arxiv_id IN (SELECT arxiv_id FROM gone)").pl()
        con.execute("DELETE FROM paper_terms WHERE arxiv_id IN (SELECT arxiv_id FROM gone)")
        with registered(con, dirty=weeks):
            _recount_weeks(con, "SELECT week FROM dirty")


def store_paper_terms(
    con: duckdb.DuckDBPyConnection, entries: pl.DataFrame, version: int, aliases: pl.DataFrame | None = None
) -> None:
    """Replace the index entries of `entries` (arxiv_id, week, text_hash, terms: list of phrases); atomic.

    `aliases` (acronym, long_key, papers) adds the batch's acronym definitions to their counts.
    """
    with transaction(con), registered(con, incoming=entries):
        if aliases is not None and aliases.height:
            with registered(con, defined=aliases):
                con.execute("""INSERT INTO term_aliases SELECT acronym, long_key, papers FROM defined
                               ON CONFLICT DO UPDATE SET papers = term_aliases.papers + excluded.papers""")
        base = con.execute("SELECT coalesce(max(term_id), 0) FROM terms").fetchall()[0][0]
        # One pass over the dictionary: known phrases keep their id, fresh ones get the next ids.
        con.execute(
            """CREATE OR REPLACE TEMP TABLE batch_terms AS
                       SELECT b.term, b.papers, t.term_id IS NULL AS fresh,
                              coalesce(t.term_id, $base + row_number() OVER (PARTITION BY t.term_id IS NULL
                                                                             ORDER BY b.term))::INTEGER AS term_id
                       FROM (SELECT term, count(*) AS papers FROM (SELECT unnest(terms) AS term FROM incoming)
                             GROUP BY term) b LEFT JOIN terms t USING (term)""",
            {"base": base},
        )
        con.execute("INSERT INTO terms SELECT term_id, term FROM batch_terms WHERE fresh ORDER BY term_id")
        # Known before this batch, or twice in it: in at least two papers (a re-indexed paper's own
        # phrases may slip in; a superset is harmless).
        con.execute("""INSERT INTO repeated_terms SELECT term_id, term FROM batch_terms b
                       WHERE (NOT fresh OR papers >= 2)
                         AND NOT EXISTS (SELECT 1 FROM repeated_terms r WHERE r.term_id = b.term_id)
                       ORDER BY term_id""")
        dirty = con.sql("""SELECT week FROM incoming UNION
                           SELECT week FROM paper_terms WHERE arxiv_id IN (SELECT arxiv_id FROM incoming)""").pl()
        con.execute("DELETE FROM paper_terms WHERE arxiv_id IN (SELECT arxiv_id FROM incoming)")
        con.execute(
            """INSERT INTO paper_terms
                       SELECT i.arxiv_id, i.week, i.text_hash, $version, coalesce(m.ids, []::INTEGER[])
                       FROM incoming i LEFT JOIN (
                           SELECT u.arxiv_id, list(b.term_id ORDER BY b.term_id) AS ids
                           FROM (SELECT arxiv_id, unnest(terms) AS term FROM incoming) u JOIN batch_terms b USING (term)
                           GROUP BY u.arxiv_id) m USING (arxiv_id)
                       ORDER BY i.week, i.arxiv_id""",
            {"version": version},
        )
        con.execute("DROP TABLE batch_terms")
        with registered(con, dirty=dirty):
            _recount_weeks(con, "SELECT week FROM dirty")


def _recount_weeks(con: duckdb.DuckDBPyConnection, weeks_sql: str) -> None:
    con.execute(f"DELETE FROM term_weeks WHERE week IN ({weeks_sql})")
    con.execute(f"""INSERT INTO term_weeks
                    SELECT week, term_id, count(*) FROM (
                        SELECT week, unnest(term_ids) AS term_id FROM paper_terms WHERE week IN ({weeks_sql}))
                    GROUP BY ALL ORDER BY week, term_id""")


def indexed_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The phrase rules' versions the index holds entries of (stale entries aside)."""
    return {
        row[0]
        for row in con.execute(
            "SELECT DISTINCT version FROM paper_terms WHERE version <> $outdated", {"outdated": _OUTDATED}
        ).fetchall()
    }


def clear_term_index(con: duckdb.DuckDBPyConnection) -> None:
    """Empty the index (it is derived: the next refresh rebuilds it); atomic."""
    with transaction(con):
        for table in INDEX_TABLES:
            con.execute(f"DELETE FROM {table}")


def acronym_aliases(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Long-form key -> the acronym most papers define for it (defined by MIN_ALIAS_PAPERS papers or more)."""
    rows = con.execute(
        """SELECT long_key, arg_max(acronym, papers) FROM term_aliases
           GROUP BY long_key HAVING max(papers) >= ?""",
        [MIN_ALIAS_PAPERS],
    ).fetchall()
    return dict(rows)


def acronym_definitions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Every acronym definition papers made: (acronym, long-form key, papers defining it so)."""
    return [tuple(row) for row in con.execute("SELECT acronym, long_key, papers FROM term_aliases").fetchall()]


def keyword_paper_phrases(
    con: duckdb.DuckDBPyConnection, since: date, until: date, at_least: int, term_ids: list[int]
) -> list[tuple[list[str], list[str]]]:
    """(HF ai_keywords, which of the phrases `term_ids` it holds) of each keyworded paper first listed in
    [since, until] that holds one of them.

    When fewer than `at_least` keyworded papers were listed then, the first `at_least` keyworded papers
    instead: the evidence for weeks before HF had keywords (the one read past a report's week;
    docs/trends.md says why). Only the phrases asked about are read: at 1.3M papers, all of them
    cost 1.6 s and 1.2 GB.
    """
    keyworded = "len(coalesce(p.ai_keywords, [])) > 0"
    found = con.execute(
        f"""SELECT count(*) FILTER (WHERE first_digest_date BETWEEN $since AND $until),
                   (SELECT first_digest_date FROM papers p WHERE {keyworded}
                    ORDER BY first_digest_date, arxiv_id LIMIT 1 OFFSET $at_least - 1)
            FROM papers p WHERE {keyworded}""",
        {"since": since, "until": until, "at_least": at_least},
    ).fetchall()[0]
    if found[0] < at_least:  # the first `at_least` keyworded papers (all, when there are fewer)
        since, until = date.min, found[1] or date(9999, 12, 31)
    wanted = pl.DataFrame({"term_id": sorted(set(term_ids))}, schema={"term_id": pl.Int32})
    with registered(con, wanted=wanted):
        # The keyworded papers first, then only their phrase lists unnested (not every paper's).
        rows = con.execute(
            f"""WITH keyworded AS MATERIALIZED (
                    SELECT arxiv_id, ai_keywords FROM papers p
                    WHERE {keyworded} AND p.first_digest_date BETWEEN $since AND $until)
                SELECT any_value(k.ai_keywords), list(t.term ORDER BY t.term)
                FROM keyworded k JOIN paper_terms pt USING (arxiv_id)
                CROSS JOIN unnest(pt.term_ids) AS u(term_id)
                JOIN wanted w ON w.term_id = u.term_id JOIN repeated_terms t ON t.term_id = u.term_id
                GROUP BY k.arxiv_id ORDER BY k.arxiv_id""",
            {"since": since, "until": until},
        ).fetchall()
    return [(list(keywords), list(terms)) for keywords, terms in rows]


def phrase_ids(con: duckdb.DuckDBPyConnection, phrases: list[str]) -> list[int]:
    """The ids of those of `phrases` found in two papers or more."""
    frame = pl.DataFrame({"term": sorted(set(phrases))}, schema={"term": pl.String})
    with registered(con, asked=frame):
        return [row[0] for row in con.execute("SELECT term_id FROM repeated_terms JOIN asked USING (term)").fetchall()]


def indexed_papers_by_week(con: duckdb.DuckDBPyConnection, since: date, until: date) -> dict[date, int]:
    """Indexed papers per week (Monday) in [since, until]: the document totals behind term counts."""
    rows = con.execute(
        "SELECT week, count(*) FROM paper_terms WHERE week BETWEEN ? AND ? GROUP BY week", [since, until]
    ).fetchall()
    return dict(rows)


def term_window_counts(
    con: duckdb.DuckDBPyConnection, monday: date, windows: dict[str, tuple[int, int, int]], history_weeks: int
) -> pl.DataFrame:
    """Document counts of the phrases that reach a window's minimum, per window and over the history.

    `windows` maps a name to (target weeks ending with `monday`, baseline weeks
    just before them, minimum target documents). Columns: term, then per name
    `<name>_count` and `<name>_baseline`, then `history_count` over the
    `history_weeks` weeks before `monday`. Only
    phrases meeting some window's minimum are returned (the candidates).
    """
    span = max(target for target, _, _ in windows.values())
    # A phrase reaching m documents over t weeks has a week with at least ceil(m / t): only those
    # (week, phrase) cells can start a candidate, which skips the singletons that make up most cells.
    seed_docs = min(-(-minimum // target) for target, _, minimum in windows.values())
    window_sums, candidate_tests = [], []
    for name, (target, baseline, minimum) in windows.items():
        start, base_start = monday - timedelta(weeks=target - 1), monday - timedelta(weeks=target + baseline - 1)
        target_sum = f"coalesce(sum(docs) FILTER (week BETWEEN DATE '{start}' AND $monday), 0)"
        window_sums.append(
            f"{target_sum}::INTEGER AS {name}_count, "
            f"coalesce(sum(docs) FILTER (week BETWEEN DATE '{base_start}' AND DATE '{start}' - 7), 0)"
            f"::INTEGER AS {name}_baseline"
        )
        candidate_tests.append(f"{target_sum} >= {int(minimum)}")
    return con.sql(
        f"""
        WITH seeds AS (SELECT DISTINCT term_id FROM term_weeks
                       WHERE week BETWEEN $span_start AND $monday AND docs >= {int(seed_docs)}),
        candidates AS (SELECT term_id FROM term_weeks
                       WHERE week BETWEEN $span_start AND $monday AND term_id IN (SELECT term_id FROM seeds)
                       GROUP BY term_id HAVING {" OR ".join(candidate_tests)})
        SELECT t.term, c.* FROM (
            SELECT term_id, {", ".join(window_sums)},
                   coalesce(sum(docs) FILTER (week < $monday), 0)::INTEGER AS history_count
            FROM term_weeks
            WHERE week BETWEEN $first AND $monday AND term_id IN (SELECT term_id FROM candidates)
            GROUP BY term_id) c JOIN repeated_terms t USING (term_id)
        ORDER BY t.term""",
        params={
            "span_start": monday - timedelta(weeks=span - 1),
            "monday": monday,
            "first": monday - timedelta(weeks=history_weeks),
        },
    ).pl()


def window_term_ids(
    con: duckdb.DuckDBPyConnection, since: date, until: date
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Papers indexed for weeks in [since, until], in no particular order: (ids, weeks, CSR row offsets, term ids)."""
    # Unsorted: sorting moves every list along with its id (the caller sorts the ids alone).
    table = con.sql(
        "SELECT arxiv_id, week, term_ids FROM paper_terms WHERE week BETWEEN $since AND $until",
        params={"since": since, "until": until},
    ).to_arrow_table()
    column = table.column("term_ids").combine_chunks()
    offsets = column.offsets.to_numpy()
    return (
        table.column("arxiv_id").to_pylist(),
        table.column("week").to_numpy(),
        offsets - offsets[0],
        column.flatten().to_numpy(),
    )


def window_vocabulary(
    con: duckdb.DuckDBPyConnection, since: date, until: date, *, min_docs: int, max_docs: int, limit: int
) -> dict[int, str]:
    """Term id -> phrase of the `limit` phrases in most papers of weeks [since, until], within [min_docs, max_docs].

    Ties at the cut go to the phrase that sorts first, so the choice does not depend on ids.
    """
    weeks = (until - since).days // 7 + 1
    # First only phrases with a week of 2+ papers (a few percent of the cells); a phrase without one
    # is in at most `weeks` papers, so the shortcut is exact when the cut lies above that.
    for seed_docs in (2, 1):
        rows = con.execute(
            f"""
            WITH seeds AS (SELECT DISTINCT term_id FROM term_weeks WHERE week BETWEEN $since AND $until
                                                                    AND docs >= {seed_docs}),
            sums AS (SELECT term_id, sum(docs) AS docs FROM term_weeks
                     WHERE week BETWEEN $since AND $until AND term_id IN (SELECT term_id FROM seeds)
                     GROUP BY term_id HAVING sum(docs) BETWEEN $low AND $high)
            SELECT s.term_id, t.term, s.docs FROM sums s JOIN repeated_terms t USING (term_id)
            ORDER BY s.docs DESC, t.term LIMIT $limit""",
            {"since": since, "until": until, "low": min_docs, "high": max_docs, "limit": limit},
        ).fetchall()
        # Exact when every phrase that could make the cut has a week of 2+ papers: it is in
        # more papers than there are weeks (min_docs above them, or the cut above them).
        if min_docs > weeks or (len(rows) == limit and rows[-1][2] > weeks):
            break
    return {term_id: term for term_id, term, _ in rows}


def paper_term_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[int]]:
    """The indexed phrase ids of the papers `ids` (papers not indexed are absent)."""
    frame = pl.DataFrame({"arxiv_id": ids}, schema={"arxiv_id": pl.String})
    with registered(con, wanted=frame):
        rows = con.execute(
            "SELECT arxiv_id, term_ids FROM paper_terms WHERE arxiv_id IN (SELECT arxiv_id FROM wanted)"
        ).fetchall()
    return {arxiv_id: list(term_ids) for arxiv_id, term_ids in rows}
