"""The Hugging Face side of a replay corpus: `hf-daily-api/YYYY-MM-DD.json[.gz]` and `hf-pages/` captures."""

from __future__ import annotations

import gzip
from pathlib import Path

from common.sources import HF_API_FOLDER, HF_PAGES_FOLDER


class Corpus:
    """Read access to a corpus directory (layout: docs/operations.md, "The replay server and faults")."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def api_body(self, day: str) -> bytes | None:
        """The captured API body for `day` (decompressed), or None if the corpus has none."""
        for name in (f"{day}.json", f"{day}.json.gz"):
            path = self.root / HF_API_FOLDER / name
            if path.is_file():
                data = path.read_bytes()
                return gzip.decompress(data) if name.endswith(".gz") else data
        return None

    def captured_page(self, day: str) -> bytes | None:
        """A captured digest page for `day`, or None if the corpus has none."""
        captured = sorted((self.root / HF_PAGES_FOLDER).glob(f"papers_date_{day}__*.html"))
        return captured[0].read_bytes() if captured else None

    def days(self) -> list[str]:
        """Every day with an API capture, as YYYY-MM-DD, in order."""
        return sorted(p.name[:10] for p in (self.root / HF_API_FOLDER).glob("*.json*"))
