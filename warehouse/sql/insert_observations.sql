-- Keep every observation of a sighting's counts (not just the latest): how fast papers gather upvotes.
INSERT INTO observations (arxiv_id, source, digest_date, observed_at, rank, upvotes, comments, raw_sha256)
SELECT arxiv_id, source, digest_date, observed_at, rank, upvotes, comments, raw_sha256
FROM incoming_observations
ON CONFLICT DO NOTHING
