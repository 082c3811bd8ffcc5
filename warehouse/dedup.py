"""Deduplication beyond keys: listings that repeat an earlier listing add no sightings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import duckdb

from common.records import PaperRecord
from common.sources import ARXIV
from warehouse.frames import DigestRow, PageResult

# Sources whose digests can be served again unchanged under a new date (arXiv
# shows Friday's listing all weekend; a crawl before 20:00 ET sees yesterday's).
REPEATING_SOURCES = frozenset({ARXIV})


def listing_fingerprint(records: Sequence[PaperRecord]) -> str:
    """A digest's content, independent of order and observation: its (id, section) pairs."""
    lines = sorted(f"{r.arxiv_id}\t{r.section or ''}" for r in records)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def mark_repeats(con: duckdb.DuckDBPyConnection, good: Sequence[PageResult]) -> list[DigestRow]:
    """Digest rows for the batch's extracted pages, with `repeat_of` set on repeated listings.

    A non-empty listing identical to the same listing's previous one (in the
    warehouse or earlier in this batch) is a repeat: its digest is recorded,
    its records are not loaded.
    """
    rows = [
        DigestRow(r, listing_fingerprint(r.records) if r.page.source in REPEATING_SOURCES and r.records else None)
        for r in good
    ]
    history = _known_hashes(con, {(r.page.source, r.page.listing) for r in good if r.page.source in REPEATING_SOURCES})
    for row in sorted(
        rows, key=lambda d: (d.result.page.source, d.result.page.listing, d.result.day, d.result.page.fetched_at)
    ):
        if row.content_hash is None:
            continue
        seen = history.setdefault((row.result.page.source, row.result.page.listing), {})
        earlier = [day for day in seen if day < row.result.day]
        if earlier and seen[max(earlier)] == row.content_hash:
            row.repeat_of = max(earlier)
        seen.setdefault(row.result.day, row.content_hash)
    return rows


def _known_hashes(con: duckdb.DuckDBPyConnection, listings: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    known: dict[tuple[str, str], dict] = {}
    for source, listing in listings:
        rows = con.execute(
            """SELECT digest_date, content_hash FROM digests
                              WHERE source = ? AND listing = ? AND content_hash IS NOT NULL""",
            [source, listing],
        ).fetchall()
        known[(source, listing)] = dict(rows)
    return known
