-- Add the batch's sightings that are not stored yet (repeated announcements were left out by the plan).
INSERT INTO sightings (arxiv_id, source, digest_date, rank, upvotes, comments, submitter, listed_at,
                       first_observed_at, observed_at, raw_sha256, section, listings)
SELECT arxiv_id, source, digest_date, rank, upvotes, comments, submitter, listed_at,
       first_observed_at, observed_at, raw_sha256, section, listings
FROM sighting_plan
WHERE action = 'insert'
