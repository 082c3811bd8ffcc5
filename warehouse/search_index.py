"""The full-text search index (SQLite FTS5, standard library): titles, abstracts, authors and keywords.

DuckDB's own full-text extension would have to be downloaded, and its index is
rebuilt whole on every change; FTS5 ships with Python and takes incremental
updates. The index is derived data in its own file beside the warehouse
(search.sqlite3, WAL: the web application reads while a flow updates it), kept
up to date by every flow run that publishes the snapshot (refresh_search_index)
and holding nothing personal. Rank is FTS5's bm25 with the title weighted most.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from common.errors import PapertrendError

BATCH = 5_000  # papers moved from DuckDB to SQLite per batch
MARK_START, MARK_END = "\x02", "\x03"  # around the matched words of a snippet; the page turns them into <mark>
MAX_WORDS = 12  # of a query: every word must match
WEIGHTS = (10.0, 1.0, 4.0, 4.0)  # bm25 weights of title, abstract, authors, keywords
RANKED = 5_000  # the newest matches ranked by relevance (see SearchIndex.search)
COUNTED = 10_000  # matches counted at most: "over 10,000" is all a reader needs
SIMILAR_WORDS = 6  # the longest words of a paper's keywords or title that find papers like it
SIMILAR_POOL = 300  # the newest papers holding any of them, among which the closest are chosen
_WORD = re.compile(r"[^\W_](?:[\w+#.'-]*[\w+#])?")
SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS paper_text USING fts5(
    arxiv_id UNINDEXED, title, abstract, authors, keywords, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS indexed (
    arxiv_id    TEXT PRIMARY KEY,   -- a paper indexed, with the FTS row that holds it
    row         INTEGER NOT NULL,
    observed_at TEXT NOT NULL       -- papers.observed_at when indexed: a newer one re-indexes
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (
    key   TEXT PRIMARY KEY,         -- 'papers': the warehouse's papers as last indexed (count, hash sum)
    value TEXT NOT NULL
);
"""


class SearchFailed(PapertrendError):
    """A search could not be run: no index yet, or it took longer than allowed."""


class SearchTimeout(SearchFailed):
    """A search took longer than its time limit."""


@dataclass(frozen=True)
class Hit:
    """One paper found: its id, title, authors and a snippet of the abstract with the matches marked."""

    arxiv_id: str
    title: str
    authors: str
    snippet: str


@dataclass(frozen=True)
class Found:
    """A page of hits, best first, and how many papers match in all (None when not counted in time)."""

    hits: list[Hit]
    total: int | None


def query_words(text: str) -> list[str]:
    """The words of a search as the index matches them (at most MAX_WORDS); FTS5 syntax is never passed on."""
    return _WORD.findall(text.lower())[:MAX_WORDS]


def _match(words: list[str], *, any_word: bool = False) -> str:
    # Each word a quoted FTS5 string: operators, columns and quotes typed by people stay plain words.
    return (" OR " if any_word else " ").join('"' + w.replace('"', '""') + '"' for w in words)


@contextmanager
def _opened(path: Path, *, read_only: bool) -> Iterator[sqlite3.Connection]:
    if read_only and not path.exists():
        raise SearchFailed("the search index is not built yet; it is built by the next flow run")
    target = f"{path.resolve().as_uri()}?mode=ro" if read_only else str(path)
    con = sqlite3.connect(target, uri=read_only, isolation_level=None, check_same_thread=False, timeout=10)
    try:
        if not read_only:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(SCHEMA)
        yield con
    finally:
        con.close()


def refresh_search_index(warehouse: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Index the papers of `warehouse` new or changed since they were indexed, in one transaction per batch;
    return how many. Papers no longer in the warehouse (a reextract) are removed."""
    cursor = warehouse.cursor()
    # One aggregate says whether anything changed since the last refresh (most runs publish without new papers).
    fingerprint = str(cursor.execute("SELECT count(*), sum(hash(arxiv_id, observed_at)) FROM papers").fetchone())
    with _opened(path, read_only=False) as con:
        if con.execute("SELECT value FROM state WHERE key = 'papers'").fetchone() == (fingerprint,):
            return 0
        known = dict(con.execute("SELECT arxiv_id, observed_at FROM indexed").fetchall())
        cursor.execute("SELECT arxiv_id, strftime(observed_at, '%Y-%m-%dT%H:%M:%S.%f') FROM papers")
        stale: list[str] = []
        present: set[str] = set()
        while rows := cursor.fetchmany(100_000):
            for arxiv_id, observed in rows:
                present.add(arxiv_id)
                if known.get(arxiv_id) != observed:
                    stale.append(arxiv_id)
        gone = [arxiv_id for arxiv_id in known if arxiv_id not in present]
        next_row = (con.execute("SELECT max(row) FROM indexed").fetchone()[0] or 0) + 1
        for start in range(0, len(stale), BATCH):
            next_row = _index_batch(con, cursor, stale[start : start + BATCH], next_row)
        if gone:
            con.execute("BEGIN IMMEDIATE")
            for arxiv_id in gone:
                con.execute(
                    "DELETE FROM paper_text WHERE rowid = (SELECT row FROM indexed WHERE arxiv_id = ?)", [arxiv_id]
                )
                con.execute("DELETE FROM indexed WHERE arxiv_id = ?", [arxiv_id])
            con.execute("COMMIT")
        con.execute("INSERT OR REPLACE INTO state VALUES ('papers', ?)", [fingerprint])
        if stale or gone:
            con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return len(stale)


def _index_batch(con: sqlite3.Connection, cursor: duckdb.DuckDBPyConnection, ids: list[str], next_row: int) -> int:
    cursor.execute(
        """SELECT p.arxiv_id, p.title, coalesce(p.abstract, ''), array_to_string(coalesce(p.authors, []), ', '),
                  array_to_string(coalesce(p.ai_keywords, []), ', '), strftime(p.observed_at, '%Y-%m-%dT%H:%M:%S.%f')
           FROM papers p JOIN (SELECT unnest($ids) AS arxiv_id) USING (arxiv_id)""",
        {"ids": ids},
    )
    rows = cursor.fetchall()
    con.execute("BEGIN IMMEDIATE")
    try:
        for arxiv_id, title, abstract, authors, keywords, observed in rows:
            old = con.execute("SELECT row FROM indexed WHERE arxiv_id = ?", [arxiv_id]).fetchone()
            if old:
                row = old[0]
                con.execute("DELETE FROM paper_text WHERE rowid = ?", [row])
            else:
                row, next_row = next_row, next_row + 1
            con.execute(
                "INSERT INTO paper_text (rowid, arxiv_id, title, abstract, authors, keywords) VALUES (?, ?, ?, ?, ?, ?)",
                [row, arxiv_id, title, abstract, authors, keywords],
            )
            con.execute("INSERT OR REPLACE INTO indexed VALUES (?, ?, ?)", [arxiv_id, row, observed])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return next_row


class SearchIndex:
    """The index open for reading (one connection per thread of the web application)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def search(
        self,
        text: str,
        *,
        limit: int,
        offset: int = 0,
        timeout: float = 2.0,
    ) -> Found:
        """Papers matching every word of `text`, best first, from `offset`;
        raises SearchTimeout after `timeout` seconds, SearchFailed when there is no index."""
        words = query_words(text)
        if not words:
            return Found([], 0)
        match = _match(words)
        with _opened(self.path, read_only=True) as con:
            deadline = time.monotonic() + timeout
            con.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
            try:
                # Ranking scores every match, so a query as common as "model" would score a million papers:
                # only the newest RANKED matches (rows are indexed oldest first) are ranked. Finding where
                # they start walks the match lists in row order, which scores nothing.
                first = con.execute(
                    "SELECT rowid FROM paper_text WHERE paper_text MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                    [match, RANKED - 1],
                ).fetchone()
                rows = con.execute(
                    f"""SELECT arxiv_id, title, authors,
                               snippet(paper_text, 2, '{MARK_START}', '{MARK_END}', '…', 40)
                        FROM paper_text WHERE paper_text MATCH ? AND rowid >= ?
                        ORDER BY bm25(paper_text, {", ".join(map(str, WEIGHTS))}) LIMIT ? OFFSET ?""",
                    [match, first[0] if first else 0, limit, offset],
                ).fetchall()
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise SearchTimeout(
                        f"the search took longer than {timeout:g} s; use fewer or rarer words"
                    ) from None
                raise SearchFailed(f"the search index cannot be read: {exc}") from None
            total: int | None
            try:
                total = con.execute(
                    "SELECT count(*) FROM (SELECT rowid FROM paper_text WHERE paper_text MATCH ? LIMIT ?)",
                    [match, COUNTED + 1],
                ).fetchone()[0]
            except sqlite3.OperationalError:
                total = None  # the page of hits is there; only the count ran out of time
        return Found([Hit(*row) for row in rows], total)

    def similar(self, text: str, *, limit: int, exclude: str | None = None, timeout: float = 2.0) -> list[Hit]:
        """Papers like one whose keywords or title are `text`: among the newest SIMILAR_POOL papers holding any
        of its longest words, those sharing the most of them in their title and keywords. (bm25 over an OR of
        common words would score most of a large index; this reads a few hundred rows.)"""
        words = sorted(set(query_words(text)), key=len, reverse=True)[:SIMILAR_WORDS]
        if not words:
            return []
        with _opened(self.path, read_only=True) as con:
            deadline = time.monotonic() + timeout
            con.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
            try:
                rows = con.execute(
                    """SELECT arxiv_id, title, authors, keywords FROM paper_text
                       WHERE paper_text MATCH ? AND arxiv_id IS NOT ? ORDER BY rowid DESC LIMIT ?""",
                    [_match(words, any_word=True), exclude, SIMILAR_POOL],
                ).fetchall()
            except sqlite3.OperationalError as exc:
                raise SearchTimeout(f"similar papers could not be found in time ({exc})") from None
        wanted = set(words)

        def shared(row: tuple) -> int:
            return len(wanted & set(query_words(f"{row[1]} {row[3]}")))

        ranked = sorted(enumerate(rows), key=lambda item: (-shared(item[1]), item[0]))  # then newest first
        return [Hit(row[0], row[1], row[2], "") for _, row in ranked[:limit]]

    def size(self) -> int:
        """How many papers the index holds."""
        with _opened(self.path, read_only=True) as con:
            return int(con.execute("SELECT count(*) FROM indexed").fetchone()[0])
