"""The analyst views (migration 015) on a real warehouse: what each one promises."""

from __future__ import annotations

from digest_replay.synthetic.hf import generate_corpus
from tests.factories import load_corpus
from warehouse.db import connect


def test_the_analyst_views_answer_as_documented(tmp_path):
    generate_corpus(tmp_path / "corpus", days=12, papers_per_day=10, seed=4, arxiv=False)
    path = load_corpus(tmp_path / "corpus", tmp_path / "warehouse.duckdb")
    with connect(path, read_only=True) as con:

        def one(sql: str):
            return con.execute(sql).fetchone()

        papers, sightings = one("SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM sightings)")
        assert one("SELECT count(*), sum(sightings) FROM paper_overview") == (papers, sightings)
        assert one("SELECT count(*) FROM paper_overview WHERE sources != ['hf']") == (0,)
        # Hugging Face has no category: one row a week, every sighting counted once.
        assert one("SELECT sum(sightings), count(*) FILTER (WHERE category IS NOT NULL) FROM weekly_counts") == (
            sightings,
            0,
        )
        weeks = one("SELECT count(DISTINCT strftime(first_digest_date, '%G-W%V')) FROM papers")[0]
        top = con.execute(
            "SELECT week, list(rank ORDER BY rank), list(upvotes ORDER BY rank) FROM weekly_top_papers GROUP BY week"
        ).fetchall()
        assert len(top) == weeks
        for _, ranks, upvotes in top:
            assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= 10
            assert upvotes == sorted(upvotes, reverse=True)
        assert one("SELECT count(*) FROM story_series") == one("SELECT count(*) FROM story_weeks")
