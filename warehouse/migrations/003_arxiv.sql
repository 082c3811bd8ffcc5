-- arXiv as a second source: categories and versions on papers, sections and
-- category listings on sightings, one digest per category listing, repeated
-- listings, and a view of suspected duplicates.

ALTER TABLE papers ADD COLUMN primary_category VARCHAR;
ALTER TABLE papers ADD COLUMN categories VARCHAR[];
ALTER TABLE papers ADD COLUMN arxiv_comment VARCHAR;
ALTER TABLE papers ADD COLUMN updated_at TIMESTAMP;

ALTER TABLE sightings ADD COLUMN section VARCHAR;        -- arXiv: new | cross | replacement
ALTER TABLE sightings ADD COLUMN listings VARCHAR[];     -- arXiv: category listings it appeared in

ALTER TABLE raw_pages ADD COLUMN listing VARCHAR NOT NULL DEFAULT '';   -- arXiv category of a /new page
ALTER TABLE quarantine ADD COLUMN listing VARCHAR NOT NULL DEFAULT '';

-- digests gain the listing in their key (one arXiv digest per category per
-- announcement), a content hash and, for a listing identical to the
-- category's previous one, the date it repeats.
DROP VIEW open_quarantine;
CREATE TABLE digests_v3 (
    source        VARCHAR   NOT NULL,
    listing       VARCHAR   NOT NULL DEFAULT '',
    digest_date   DATE      NOT NULL,
    kind          VARCHAR   NOT NULL,
    url           VARCHAR   NOT NULL,
    sha256        VARCHAR   NOT NULL,
    entries       INTEGER   NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    content_hash  VARCHAR,
    repeat_of     DATE,
    PRIMARY KEY (source, listing, digest_date)
);
INSERT INTO digests_v3 (source, listing, digest_date, kind, url, sha256, entries, fetched_at)
SELECT source, '', digest_date, kind, url, sha256, entries, fetched_at FROM digests;
DROP TABLE digests;
ALTER TABLE digests_v3 RENAME TO digests;

-- A quarantined page is closed by a later load of the same URL, or of the same
-- source/listing/day (e.g. the HF digest page after the API failed).
CREATE VIEW open_quarantine AS
SELECT q.*
FROM quarantine q
WHERE NOT EXISTS (
    SELECT 1 FROM digests d
    WHERE d.fetched_at >= q.fetched_at
      AND (d.url = q.url OR (d.source = q.source AND d.listing = q.listing AND d.digest_date = q.digest_date))
);

-- Papers whose normalised titles match under different ids: listed, never merged.
CREATE VIEW suspected_duplicates AS
SELECT a.arxiv_id AS arxiv_id, b.arxiv_id AS other_arxiv_id, a.title, b.title AS other_title
FROM papers a
JOIN papers b
  ON regexp_replace(lower(a.title), '[^a-z0-9]+', '', 'g') = regexp_replace(lower(b.title), '[^a-z0-9]+', '', 'g')
 AND a.arxiv_id < b.arxiv_id;
