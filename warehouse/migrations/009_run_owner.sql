-- Who ran each run, so a run whose process died can be told from one still going:
-- a later run marks a 'running' row 'abandoned' when its process is provably gone.
ALTER TABLE runs ADD COLUMN host VARCHAR;
ALTER TABLE runs ADD COLUMN pid INTEGER;
