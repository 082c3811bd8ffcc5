"""The raw archive hands back only the body a sha256 names; a damaged one is ArchiveCorrupt and can be set aside."""

import gzip

import pytest

from flows.archive import ArchiveCorrupt, ArchiveMissing, RawArchive


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda data: data[:20], "not whole gzip"),
        (lambda data: b"<html>garbage</html>", "not whole gzip"),
        (lambda data: gzip.compress(b"another body"), "does not hold the body its sha256 names"),
    ],
)
def test_a_damaged_body_is_archive_corrupt_and_set_aside_once(tmp_path, damage, says):
    archive = RawArchive(tmp_path)
    sha = archive.put(b'{"papers": []}' * 100)
    path = archive.path_for(sha)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ArchiveCorrupt, match=says):
        archive.get(sha)
    kept = archive.set_aside(sha)
    assert kept.exists() and not path.exists()
    with pytest.raises(ArchiveCorrupt, match="set aside"):  # a second row with the same body
        archive.get(sha)
    assert archive.put(b'{"papers": []}' * 100) == sha and archive.get(sha)  # a re-fetch stores it again


def test_a_body_never_stored_is_still_archive_missing(tmp_path):
    with pytest.raises(ArchiveMissing):
        RawArchive(tmp_path).get("0" * 64)
