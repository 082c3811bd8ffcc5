-- The plan lives for one batch only.
DROP TABLE sighting_plan
