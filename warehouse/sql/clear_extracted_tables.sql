-- Empty every table derived from the raw archive (load.EXTRACTED_TABLES), so `reextract` can
-- rebuild them from the raw pages in the same transaction.
DELETE FROM sightings;
DELETE FROM papers;
DELETE FROM digests;
DELETE FROM quarantine;
DELETE FROM observations;
