-- Warehouse v1: raw pages, digests, papers, sightings, runs, quarantine.
-- All timestamps are UTC (TIMESTAMP without time zone, by convention).

CREATE TABLE raw_pages (
    url           VARCHAR   NOT NULL,   -- the URL fetched
    sha256        VARCHAR   NOT NULL,   -- of the body as received; names the archive file
    source        VARCHAR   NOT NULL,   -- 'hf'
    kind          VARCHAR   NOT NULL,   -- 'api' | 'page'
    digest_date   DATE      NOT NULL,
    status        INTEGER   NOT NULL,   -- HTTP status of the response
    fetched_at    TIMESTAMP NOT NULL,   -- first time this exact body was fetched from this URL
    size          BIGINT    NOT NULL,   -- body bytes
    content_type  VARCHAR,
    etag          VARCHAR,
    last_modified VARCHAR,
    truncated     BOOLEAN   NOT NULL DEFAULT false,  -- body was cut at the byte cap
    run_id        VARCHAR   NOT NULL,
    PRIMARY KEY (url, sha256)
);

-- What each (source, digest date) currently holds: the latest successfully
-- extracted body. A row with entries = 0 is a day with no papers.
CREATE TABLE digests (
    source        VARCHAR   NOT NULL,
    digest_date   DATE      NOT NULL,
    kind          VARCHAR   NOT NULL,
    url           VARCHAR   NOT NULL,
    sha256        VARCHAR   NOT NULL,
    entries       INTEGER   NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (source, digest_date)
);

-- One row per paper (canonical arXiv id). Attributes come from the newest
-- observation that has them (see docs/schema.md for precedence).
CREATE TABLE papers (
    arxiv_id          VARCHAR   PRIMARY KEY,
    version           INTEGER,
    title             VARCHAR   NOT NULL,
    abstract          VARCHAR,
    authors           VARCHAR[],
    published_at      TIMESTAMP,
    github_repo       VARCHAR,
    github_stars      INTEGER,
    project_page      VARCHAR,
    ai_keywords       VARCHAR[],
    organization      VARCHAR,
    first_digest_date DATE      NOT NULL,
    last_digest_date  DATE      NOT NULL,
    observed_at       TIMESTAMP NOT NULL   -- observation the attributes were last taken from
);

-- One row per paper x source x digest date; re-fetching updates it in place.
CREATE TABLE sightings (
    arxiv_id          VARCHAR   NOT NULL,
    source            VARCHAR   NOT NULL,
    digest_date       DATE      NOT NULL,
    rank              INTEGER   NOT NULL,
    upvotes           INTEGER,
    comments          INTEGER,
    submitter         VARCHAR,
    listed_at         TIMESTAMP,
    first_observed_at TIMESTAMP NOT NULL,
    observed_at       TIMESTAMP NOT NULL,  -- latest observation (the counts are from it)
    raw_sha256        VARCHAR   NOT NULL,  -- the raw page the counts came from
    PRIMARY KEY (arxiv_id, source, digest_date)
);

-- Pages that were fetched and kept but could not be extracted.
CREATE TABLE quarantine (
    url           VARCHAR   NOT NULL,
    sha256        VARCHAR   NOT NULL,
    source        VARCHAR   NOT NULL,
    digest_date   DATE      NOT NULL,
    error         VARCHAR   NOT NULL,
    fetched_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (url, sha256)
);

CREATE TABLE runs (
    run_id             VARCHAR   PRIMARY KEY,
    flow               VARCHAR   NOT NULL,
    params             VARCHAR   NOT NULL,   -- JSON
    status             VARCHAR   NOT NULL,   -- running | completed | failed
    started_at         TIMESTAMP NOT NULL,
    finished_at        TIMESTAMP,
    pages_fetched      INTEGER   NOT NULL DEFAULT 0,
    pages_not_modified INTEGER   NOT NULL DEFAULT 0,
    pages_failed       INTEGER   NOT NULL DEFAULT 0,
    pages_quarantined  INTEGER   NOT NULL DEFAULT 0,
    new_papers         INTEGER   NOT NULL DEFAULT 0,
    new_sightings      INTEGER   NOT NULL DEFAULT 0,
    updated_sightings  INTEGER   NOT NULL DEFAULT 0,
    error              VARCHAR
);

-- Papers whose first sighting is the paper's first digest date, for weekly buckets.
CREATE VIEW first_sightings AS
SELECT s.*
FROM sightings s JOIN papers p USING (arxiv_id)
WHERE s.digest_date = p.first_digest_date;

-- Quarantined pages whose (source, digest date) has not been loaded since.
CREATE VIEW open_quarantine AS
SELECT q.*
FROM quarantine q
LEFT JOIN digests d ON d.source = q.source AND d.digest_date = q.digest_date
WHERE d.fetched_at IS NULL OR d.fetched_at < q.fetched_at;
