-- Views for analysts (docs/schema.md "Views"): the questions people ask most, answered once.

-- One row per paper: where and when it was listed, how far it got.
CREATE VIEW paper_overview AS
SELECT p.arxiv_id, p.title, p.authors, p.first_digest_date AS first_seen, p.last_digest_date AS last_seen,
       list(DISTINCT s.source ORDER BY s.source) AS sources, count(*) AS sightings,
       max(s.upvotes) AS upvotes, p.github_repo
FROM papers p JOIN sightings s USING (arxiv_id)
GROUP BY p.arxiv_id, p.title, p.authors, p.first_digest_date, p.last_digest_date, p.github_repo;

-- Sightings per ISO week, source and arXiv category (NULL for Hugging Face, which has none).
CREATE VIEW weekly_counts AS
SELECT strftime(s.digest_date, '%G-W%V') AS week, s.source, l.category,
       count(DISTINCT s.arxiv_id) AS papers, count(*) AS sightings
FROM sightings s
LEFT JOIN LATERAL (SELECT unnest(CASE WHEN len(coalesce(s.listings, [])) = 0 THEN [NULL] ELSE s.listings END) AS category) l ON true
GROUP BY ALL;

-- Each stored story's papers a week, as its week's report drew them (NULL: no data that week).
CREATE VIEW story_series AS
SELECT w.week AS report_week, w.story_id, s.label, w.series_week, w.papers
FROM story_weeks w JOIN stories s ON s.week = w.week AND s.story_id = w.story_id;

-- The ten most upvoted papers first listed in each ISO week (Hugging Face upvotes, the latest seen).
CREATE VIEW weekly_top_papers AS
SELECT week, rank, arxiv_id, title, upvotes FROM (
    SELECT strftime(p.first_digest_date, '%G-W%V') AS week, p.arxiv_id, p.title, max(s.upvotes) AS upvotes,
           row_number() OVER (PARTITION BY strftime(p.first_digest_date, '%G-W%V')
                              ORDER BY max(s.upvotes) DESC NULLS LAST, p.arxiv_id) AS rank
    FROM papers p JOIN sightings s USING (arxiv_id)
    GROUP BY p.arxiv_id, p.title, p.first_digest_date
) WHERE rank <= 10;
