"""Where each source's digests live on the web, and which extractor reads each kind."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DigestKind:
    """One way to read a source's digest for a date: a URL shape and an extractor."""

    source: str        # warehouse source name, e.g. "hf"
    kind: str          # "api" | "page"
    extractor: str     # key in extractors.EXTRACTORS
    path: str          # URL path with {date}

    def url(self, base_url: str, day: date) -> str:
        return base_url.rstrip("/") + self.path.format(date=day.isoformat())


HF_API = DigestKind(source="hf", kind="api", extractor="hf-api", path="/api/daily_papers?date={date}")
HF_PAGE = DigestKind(source="hf", kind="page", extractor="hf-page", path="/papers/date/{date}")


def hf_kinds(mode: str, fallback: bool) -> list[DigestKind]:
    """The kinds to try for an HF day, in order: the configured one, then the fallback."""
    first, second = (HF_API, HF_PAGE) if mode == "api" else (HF_PAGE, HF_API)
    return [first, second] if fallback and mode == "api" else [first]
