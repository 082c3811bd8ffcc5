-- Record the pages that could not be extracted, with the reason, so they can be fixed and replayed.
INSERT INTO quarantine (url, sha256, source, listing, digest_date, error, fetched_at)
SELECT url, sha256, source, listing, digest_date, error, fetched_at
FROM incoming_quarantine
ON CONFLICT DO NOTHING
