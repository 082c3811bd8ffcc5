-- Runs keep every counter a run reports: how many days (or ids) it was asked for, and how many
-- of them it skipped as already loaded (warehouse/runs.py RunCounts lists them all).
ALTER TABLE runs ADD COLUMN days_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN days_skipped INTEGER NOT NULL DEFAULT 0;
