-- Every observation of a sighting's counts, not just the latest: the refresh
-- window re-fetches recent days, so this is how fast papers gather upvotes.
CREATE TABLE observations (
    arxiv_id     VARCHAR   NOT NULL,
    source       VARCHAR   NOT NULL,
    digest_date  DATE      NOT NULL,
    observed_at  TIMESTAMP NOT NULL,
    rank         INTEGER   NOT NULL,
    upvotes      INTEGER,
    comments     INTEGER,
    raw_sha256   VARCHAR   NOT NULL,
    PRIMARY KEY (arxiv_id, source, digest_date, observed_at)
);
-- Backfill from what the sightings already know (their latest observation).
INSERT INTO observations
SELECT arxiv_id, source, digest_date, observed_at, rank, upvotes, comments, raw_sha256 FROM sightings;

-- Upvotes gained per sighting between its first and latest observation.
CREATE VIEW upvote_gains AS
SELECT arxiv_id, source, digest_date,
       arg_min(upvotes, observed_at) AS first_upvotes, arg_max(upvotes, observed_at) AS last_upvotes,
       arg_max(upvotes, observed_at) - arg_min(upvotes, observed_at) AS gain,
       min(observed_at) AS first_observed_at, max(observed_at) AS last_observed_at,
       count(*) AS observations
FROM observations WHERE upvotes IS NOT NULL
GROUP BY arxiv_id, source, digest_date;
