"""The raw archive: every fetched body, gzip-compressed, addressed by its sha256."""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

from common.errors import PapertrendError
from flows.files import write_atomically


class ArchiveMissing(PapertrendError, FileNotFoundError):
    """A raw_pages row names a body that is not in the archive."""


class ArchiveCorrupt(PapertrendError, ValueError):
    """A raw page in the archive is damaged: not gzip, truncated, or not the body its sha256 names."""


CORRUPT_DIR = "corrupt"  # <raw>/corrupt/: damaged bodies set aside, kept for a look, out of the archive's way


class RawArchive:
    """Content-addressed storage under `<data dir>/raw/ab/abcdef....gz`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.gz"

    def put(self, body: bytes) -> str:
        """Store `body` (once) and return its sha256; the write is atomic."""
        sha256 = hashlib.sha256(body).hexdigest()
        path = self.path_for(sha256)
        if path.exists():
            return sha256
        # Level 1: 2.4x faster than 6 on HF pages, for 18% more bytes.
        write_atomically(path, gzip.compress(body, compresslevel=1, mtime=0), durable=True)
        return sha256

    def get(self, sha256: str) -> bytes:
        """Return the body stored under `sha256`, checked against it; raises ArchiveMissing or ArchiveCorrupt."""
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            if self.set_aside_path(sha256).exists():
                raise ArchiveCorrupt(f"raw page {path} was damaged and set aside in {self.root / CORRUPT_DIR}") from exc
            raise ArchiveMissing(f"raw page {sha256} is not in the archive at {self.root}") from exc
        try:
            body = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ArchiveCorrupt(f"raw page {path} is not whole gzip ({exc})") from None
        if hashlib.sha256(body).hexdigest() != sha256:
            raise ArchiveCorrupt(f"raw page {path} does not hold the body its sha256 names")
        return body

    def set_aside_path(self, sha256: str) -> Path:
        """Where a damaged body of `sha256` is kept once set aside."""
        return self.root / CORRUPT_DIR / f"{sha256}.gz"

    def set_aside(self, sha256: str) -> Path:
        """Move a damaged body out of the archive (a re-fetch can then store the page again); returns where."""
        target = self.set_aside_path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path_for(sha256), target)
        return target
