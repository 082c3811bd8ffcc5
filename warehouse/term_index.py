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

from warehouse.db import registered, transaction

INDEX_TABLES = ("terms", "paper_terms", "term_weeks")
_TEXT_HASH = "hash(p.title, p.abstract)"
_WEEK = "date_trunc('week', p.first_digest_date)::DATE"


def stale_papers(con: duckdb.DuckDBPyConnection, version: int, since: date | None = None,
                 until: date | None = None) -> pl.DataFrame:
    """Papers (first listed in [since, until], default all) whose index entry is missing or out of date.

    Columns arxiv_id, week, text_hash; oldest first, so batches cover whole weeks.
    """
    since, until = since or date.min, until or date.max
    return con.sql(f"""SELECT p.arxiv_id, {_WEEK} AS week, {_TEXT_HASH} AS text_hash
                           FROM papers p LEFT JOIN paper_terms t USING (arxiv_id)
                           WHERE p.first_digest_date BETWEEN $since AND $until
                             AND (t.arxiv_id IS NULL OR t.version <> $version OR t.week <> {_WEEK}
                                  OR t.text_hash <> {_TEXT_HASH})
                           ORDER BY p.first_digest_date, p.arxiv_id""",
                   params={"since": since, "until": until, "version": version}).pl()


def paper_texts(con: duckdb.DuckDBPyConnection, ids: list[str]) -> pl.DataFrame:
    """arxiv_id and text (title, '. ', abstract) of the given papers, in the order given."""
    wanted = pl.DataFrame({"arxiv_id": ids, "position": range(len(ids))},
                          schema={"arxiv_id": pl.String, "position": pl.Int64})
    with registered(con, wanted=wanted):
        return con.sql("""SELECT arxiv_id, p.title || '. ' || coalesce(p.abstract, '') AS text
                          FROM wanted JOIN papers p USING (arxiv_id) ORDER BY position""").pl()


def remove_orphans(con: duckdb.DuckDBPyConnection) -> int:
    """Drop entries of papers that are gone or moved out of their indexed week; returns how many."""
    with transaction(con):
        gone = con.sql(f"""SELECT t.arxiv_id, t.week FROM paper_terms t LEFT JOIN papers p USING (arxiv_id)
                           WHERE p.arxiv_id IS NULL OR t.week <> {_WEEK}""").pl()
        if gone.height:
            with registered(con, gone=gone):
                con.execute("DELETE FROM paper_terms WHERE arxiv_id IN (SELECT arxiv_id FROM gone)")
                _recount_weeks(con, "SELECT DISTINCT week FROM gone")
    return gone.height


def store_paper_terms(con: duckdb.DuckDBPyConnection, entries: pl.DataFrame, version: int) -> None:
    """Replace the index entries of `entries` (arxiv_id, week, text_hash, terms: list of phrases); atomic."""
    with transaction(con), registered(con, incoming=entries):
        con.execute("""INSERT INTO terms
                       SELECT (SELECT coalesce(max(term_id), 0) FROM terms) + row_number() OVER (ORDER BY term), term
                       FROM (SELECT DISTINCT unnest(terms) AS term FROM incoming) fresh
                       WHERE NOT EXISTS (SELECT 1 FROM terms t WHERE t.term = fresh.term)""")
        dirty = con.sql("""SELECT week FROM incoming UNION
                           SELECT week FROM paper_terms WHERE arxiv_id IN (SELECT arxiv_id FROM incoming)""").pl()
        con.execute("DELETE FROM paper_terms WHERE arxiv_id IN (SELECT arxiv_id FROM incoming)")
        con.execute("""INSERT INTO paper_terms
                       SELECT i.arxiv_id, i.week, i.text_hash, $version, coalesce(m.ids, []::INTEGER[])
                       FROM incoming i LEFT JOIN (
                           SELECT u.arxiv_id, list(t.term_id ORDER BY t.term_id) AS ids
                           FROM (SELECT arxiv_id, unnest(terms) AS term FROM incoming) u JOIN terms t USING (term)
                           GROUP BY u.arxiv_id) m USING (arxiv_id)""", {"version": version})
        with registered(con, dirty=dirty):
            _recount_weeks(con, "SELECT week FROM dirty")


def _recount_weeks(con: duckdb.DuckDBPyConnection, weeks_sql: str) -> None:
    con.execute(f"DELETE FROM term_weeks WHERE week IN ({weeks_sql})")
    con.execute(f"""INSERT INTO term_weeks
                    SELECT week, term_id, count(*) FROM (
                        SELECT week, unnest(term_ids) AS term_id FROM paper_terms WHERE week IN ({weeks_sql}))
                    GROUP BY ALL ORDER BY week, term_id""")


def clear_term_index(con: duckdb.DuckDBPyConnection) -> None:
    """Empty the index (it is derived: the next refresh rebuilds it); atomic."""
    with transaction(con):
        for table in INDEX_TABLES:
            con.execute(f"DELETE FROM {table}")


def indexed_papers_by_week(con: duckdb.DuckDBPyConnection, since: date, until: date) -> dict[date, int]:
    """Indexed papers per week (Monday) in [since, until]: the document totals behind term counts."""
    rows = con.execute("SELECT week, count(*) FROM paper_terms WHERE week BETWEEN ? AND ? GROUP BY week",
                       [since, until]).fetchall()
    return dict(rows)


def term_window_counts(con: duckdb.DuckDBPyConnection, monday: date, windows: dict[str, tuple[int, int, int]],
                       history_weeks: int) -> pl.DataFrame:
    """Document counts of the phrases that reach a window's minimum, per window and over the history.

    `windows` maps a name to (target weeks ending with `monday`, baseline weeks
    just before them, minimum target documents). Columns: term, then per name
    `<name>_count` and `<name>_baseline`, then `history_count` and
    `weeks_present` over the `history_weeks` weeks before `monday`. Only
    phrases meeting some window's minimum are returned (the candidates).
    """
    span = max(target for target, _, _ in windows.values())
    first = monday - timedelta(weeks=history_weeks)
    window_sums, candidate_tests = [], []
    for name, (target, baseline, minimum) in windows.items():
        start, base_start = monday - timedelta(weeks=target - 1), monday - timedelta(weeks=target + baseline - 1)
        window_sums.append(f"coalesce(sum(docs) FILTER (week >= DATE '{start}'), 0)::INTEGER AS {name}_count, "
                           f"coalesce(sum(docs) FILTER (week BETWEEN DATE '{base_start}' AND DATE '{start}' - 7), 0)"
                           f"::INTEGER AS {name}_baseline")
        candidate_tests.append(f"coalesce(sum(docs) FILTER (week >= DATE '{start}'), 0) >= {int(minimum)}")
    return con.sql(f"""
        WITH candidates AS (
            SELECT term_id FROM term_weeks WHERE week BETWEEN $span_start AND $monday
            GROUP BY term_id HAVING {' OR '.join(candidate_tests)})
        SELECT t.term, c.* EXCLUDE (term_id) FROM (
            SELECT term_id, {', '.join(window_sums)},
                   coalesce(sum(docs) FILTER (week < $monday), 0)::INTEGER AS history_count,
                   count(*) FILTER (week < $monday) AS weeks_present
            FROM term_weeks
            WHERE week BETWEEN $first AND $monday AND term_id IN (SELECT term_id FROM candidates)
            GROUP BY term_id) c JOIN terms t USING (term_id)
        ORDER BY t.term""", params={"span_start": monday - timedelta(weeks=span - 1), "monday": monday,
                                    "first": first}).pl()


def window_term_ids(con: duckdb.DuckDBPyConnection, since: date, until: date) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Papers indexed for weeks in [since, until], sorted by id: (ids, CSR row offsets, term ids)."""
    table = con.sql("""SELECT arxiv_id, term_ids FROM paper_terms WHERE week BETWEEN $since AND $until
                       ORDER BY arxiv_id""", params={"since": since, "until": until}).to_arrow_table()
    column = table.column("term_ids").combine_chunks()
    offsets = column.offsets.to_numpy().astype(np.int64)
    values = column.flatten().to_numpy().astype(np.int64)
    return table.column("arxiv_id").to_pylist(), offsets - offsets[0], values


def window_vocabulary(con: duckdb.DuckDBPyConnection, since: date, until: date, *, min_docs: int, max_docs: int,
                      limit: int) -> dict[int, str]:
    """Term id -> phrase of the `limit` phrases in most papers of weeks [since, until], within [min_docs, max_docs].

    Ties at the cut go to the phrase that sorts first, so the choice does not depend on ids.
    """
    rows = con.execute("""SELECT w.term_id, t.term FROM (
                              SELECT term_id, sum(docs) AS docs FROM term_weeks WHERE week BETWEEN ? AND ?
                              GROUP BY term_id HAVING sum(docs) BETWEEN ? AND ?) w JOIN terms t USING (term_id)
                          ORDER BY w.docs DESC, t.term LIMIT ?""", [since, until, min_docs, max_docs, limit]).fetchall()
    return dict(rows)


def term_names(con: duckdb.DuckDBPyConnection, ids: np.ndarray) -> dict[int, str]:
    """The phrase of each term id asked for."""
    wanted = pl.DataFrame({"term_id": np.asarray(ids, dtype=np.int32)})
    with registered(con, wanted=wanted):
        return dict(con.execute("SELECT term_id, term FROM terms WHERE term_id IN (SELECT term_id FROM wanted)")
                    .fetchall())
