-- Keep a row for every fetched body of the batch, extracted or not: the raw archive's index.
-- The same body fetched again from the same URL is already there, so reloads add nothing.
INSERT INTO raw_pages (url, sha256, source, kind, digest_date, status, fetched_at, size, content_type, etag,
                       last_modified, truncated, listing, run_id)
SELECT url, sha256, source, kind, digest_date, status, fetched_at, size, content_type, etag,
       last_modified, truncated, listing, $run_id
FROM incoming_raw_pages
ON CONFLICT DO NOTHING
