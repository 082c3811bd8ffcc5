-- Runs say how many days loaded only through the fallback kind, and how many
-- were left unfetched because a host rate-limited us (the run stopped there).
ALTER TABLE runs ADD COLUMN pages_fallback INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN days_unfetched INTEGER NOT NULL DEFAULT 0;
