-- Decide what this load does to each sighting it touches, before anything is written: one row per
-- incoming sighting, merged with the stored one if any, plus one per stored sighting it supersedes.
--
-- Merging: the newest observation gives the counts (the same observation again changes nothing);
-- the section is the strongest of new > cross > replacement (frames.SECTION_PRIORITY); the
-- listings are all of them, sorted; the first observation is the earliest.
--
-- Repeats: a paper is a new submission on arXiv once, so an arXiv sighting that is 'new' (stored,
-- incoming, or once the two are merged) on a later day than the paper's first 'new' sighting is a
-- repeated announcement and is not kept, whatever order the pages load in. (A listing identical
-- to the previous one is caught earlier, by content hash: dedup.mark_repeats.)
--
-- $arxiv is bound to extractors.sources.ARXIV (warehouse/load.py): source names are never spelled here.
--
-- action:  insert      an incoming sighting not stored yet
--          update      a stored sighting that this observation changes
--          keep        a stored sighting this observation leaves as it is
--          repeat      an incoming repeated announcement: not inserted
--          superseded  a stored sighting that is now a repeat (an earlier 'new' came in): deleted
-- reported_update: the sighting's counts, section or listings change, as updated_sightings counts
-- them (a same-time observation with other counts counts, though the stored counts stay).
CREATE OR REPLACE TEMP TABLE sighting_plan AS
WITH first_new AS (
    -- The day each paper of the batch was announced as a new submission: its earliest 'new' sighting.
    SELECT arxiv_id, min(digest_date) AS digest_date
    FROM (SELECT arxiv_id, digest_date FROM incoming_sightings
          WHERE source = $arxiv AND section = 'new'
          UNION ALL
          SELECT arxiv_id, digest_date FROM sightings
          WHERE source = $arxiv AND section = 'new'
            AND arxiv_id IN (SELECT arxiv_id FROM incoming_sightings))
    GROUP BY arxiv_id
),
merged AS (
    SELECT i.arxiv_id, i.source, i.digest_date,
           s.observed_at AS stored_observed_at,      -- NULL: not stored yet
           s.section AS stored_section,
           s.listings AS stored_listings,
           i.observed_at >= s.observed_at
               AND (i.rank, i.upvotes, i.comments, i.submitter, i.listed_at)
                   IS DISTINCT FROM (s.rank, s.upvotes, s.comments, s.submitter, s.listed_at) AS counts_changed,
           -- the newest observation gives the counts (an older one, or the same again, leaves them)
           s.observed_at IS NULL OR i.observed_at > s.observed_at AS newer,
           CASE WHEN newer THEN i.rank ELSE s.rank END AS rank,
           CASE WHEN newer THEN i.upvotes ELSE s.upvotes END AS upvotes,
           CASE WHEN newer THEN i.comments ELSE s.comments END AS comments,
           CASE WHEN newer THEN i.submitter ELSE s.submitter END AS submitter,
           CASE WHEN newer THEN i.listed_at ELSE s.listed_at END AS listed_at,
           CASE WHEN newer THEN i.raw_sha256 ELSE s.raw_sha256 END AS raw_sha256,
           CASE WHEN newer THEN i.observed_at ELSE s.observed_at END AS observed_at,
           CASE WHEN coalesce(list_position(['new', 'cross', 'replacement'], i.section), 99)
                     <= coalesce(list_position(['new', 'cross', 'replacement'], s.section), 99)
                THEN i.section ELSE s.section END AS section,
           nullif(list_sort(list_distinct(list_concat(coalesce(s.listings, []), coalesce(i.listings, [])))),
                  []) AS listings,
           least(i.first_observed_at, s.first_observed_at) AS first_observed_at
    FROM incoming_sightings i
    LEFT JOIN sightings s USING (arxiv_id, source, digest_date)
)
SELECT m.arxiv_id, m.source, m.digest_date, m.rank, m.upvotes, m.comments, m.submitter, m.listed_at,
       m.observed_at, m.raw_sha256, m.section, m.listings, m.first_observed_at,
       CASE WHEN m.source = $arxiv AND m.section = 'new' AND m.digest_date > f.digest_date
                 THEN CASE WHEN m.stored_observed_at IS NULL THEN 'repeat' ELSE 'superseded' END
            WHEN m.stored_observed_at IS NULL THEN 'insert'
            WHEN m.newer
                 OR m.section IS DISTINCT FROM m.stored_section
                 OR m.listings IS DISTINCT FROM m.stored_listings THEN 'update'
            ELSE 'keep'
       END AS action,
       coalesce(m.counts_changed
                OR m.section IS DISTINCT FROM m.stored_section
                OR m.listings IS DISTINCT FROM m.stored_listings, false)
           AND m.stored_observed_at IS NOT NULL AS reported_update
FROM merged m
LEFT JOIN first_new f USING (arxiv_id)
UNION ALL BY NAME
-- Stored 'new' sightings of the batch's papers that an incoming earlier 'new' one supersedes.
SELECT s.arxiv_id, s.source, s.digest_date, 'superseded' AS action, false AS reported_update
FROM sightings s
JOIN first_new f USING (arxiv_id)
WHERE s.source = $arxiv AND s.section = 'new' AND s.digest_date > f.digest_date
  AND NOT EXISTS (SELECT 1 FROM incoming_sightings i
                  WHERE i.arxiv_id = s.arxiv_id AND i.source = s.source AND i.digest_date = s.digest_date)
