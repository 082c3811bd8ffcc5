"""The raw archive: every fetched body, gzip-compressed, addressed by its sha256."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from extractors.errors import PapertrendError
from flows.files import write_atomically


class ArchiveMissing(PapertrendError, FileNotFoundError):
    """A raw_pages row names a body that is not in the archive."""


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
        """Return the body stored under `sha256`; raises ArchiveMissing."""
        path = self.path_for(sha256)
        try:
            return gzip.decompress(path.read_bytes())
        except FileNotFoundError as exc:
            raise ArchiveMissing(f"raw page {sha256} is not in the archive at {self.root}") from exc
