-- Write the merged values into the stored sightings this batch changes (rows it leaves as they
-- are are not touched, so a reload writes nothing).
UPDATE sightings SET
    rank = p.rank,
    upvotes = p.upvotes,
    comments = p.comments,
    submitter = p.submitter,
    listed_at = p.listed_at,
    first_observed_at = p.first_observed_at,
    observed_at = p.observed_at,
    raw_sha256 = p.raw_sha256,
    section = p.section,
    listings = p.listings
FROM sighting_plan p
WHERE p.action = 'update'
  AND sightings.arxiv_id = p.arxiv_id AND sightings.source = p.source AND sightings.digest_date = p.digest_date
