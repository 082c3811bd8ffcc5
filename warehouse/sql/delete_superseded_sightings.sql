-- Supersession, not a correction: pages load in any order, so an earlier 'new' announcement of a
-- paper can arrive after a later one was stored. The stored later one is then a repeat and goes
-- (sighting_plan decided which, before this load wrote anything).
DELETE FROM sightings
USING sighting_plan p
WHERE p.action = 'superseded'
  AND sightings.arxiv_id = p.arxiv_id AND sightings.source = p.source AND sightings.digest_date = p.digest_date
