-- What each (source, listing, day) holds now: the newest fetch replaces an older one, an older
-- fetch loaded late changes nothing.
INSERT INTO digests (source, listing, digest_date, kind, url, sha256, entries, fetched_at, content_hash, repeat_of)
SELECT source, listing, digest_date, kind, url, sha256, entries, fetched_at, content_hash, repeat_of
FROM incoming_digests
ON CONFLICT DO UPDATE SET
    kind = excluded.kind,
    url = excluded.url,
    sha256 = excluded.sha256,
    entries = excluded.entries,
    fetched_at = excluded.fetched_at,
    content_hash = excluded.content_hash,
    repeat_of = excluded.repeat_of
WHERE excluded.fetched_at > digests.fetched_at
