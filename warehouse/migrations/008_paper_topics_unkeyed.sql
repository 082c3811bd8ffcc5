-- paper_topics holds every paper of a report's 16-week window (80,000 rows a week at
-- arXiv scale). Replacing a week's rows under its primary key cost 2 s at commit
-- (DuckDB removes deleted keys from the ART index then); save_report already
-- replaces a week's rows in one transaction, which is what kept them unique.
CREATE TABLE paper_topics_unkeyed (
    week      VARCHAR NOT NULL,              -- the report whose topic model assigned it
    arxiv_id  VARCHAR NOT NULL,
    topic_id  INTEGER NOT NULL               -- -1: other
);
INSERT INTO paper_topics_unkeyed SELECT week, arxiv_id, topic_id FROM paper_topics ORDER BY week, arxiv_id;
DROP TABLE paper_topics;
ALTER TABLE paper_topics_unkeyed RENAME TO paper_topics;
