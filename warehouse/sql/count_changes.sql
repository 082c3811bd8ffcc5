-- What this load changes, counted from the plan before anything is written.
-- new_sightings is the net gain: an incoming earlier 'new' sighting that supersedes a stored later
-- one replaces it (one in, one out), so superseded rows count against the new ones.
SELECT (SELECT count(*) FROM incoming_papers ANTI JOIN papers USING (arxiv_id)) AS new_papers,
       (SELECT count(*) FILTER (WHERE action = 'insert') - count(*) FILTER (WHERE action = 'superseded')
        FROM sighting_plan) AS new_sightings,
       (SELECT count(*) FILTER (WHERE reported_update) FROM sighting_plan) AS updated_sightings
