"""What an ingest run reports (kept free of Prefect so the CLI can import it cheaply)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


class IngestIncomplete(RuntimeError):
    """Some pages were quarantined or could not be fetched; the rest loaded."""

    def __init__(self, summary: "IngestSummary") -> None:
        lines = [f"  quarantined: {q}" for q in summary.quarantined] + [f"  failed: {f}" for f in summary.failed]
        super().__init__(f"{summary.pages_quarantined} page(s) quarantined, {summary.pages_failed} failed "
                         f"(the other days loaded; see `papertrend status`):\n" + "\n".join(lines))
        self.summary = summary


@dataclass
class IngestSummary:
    """What a flow run did, in counts, plus the pages that need a look."""

    run_id: str = ""
    days_requested: int = 0
    days_skipped: int = 0
    pages_fetched: int = 0
    pages_not_modified: int = 0
    pages_failed: int = 0
    pages_quarantined: int = 0
    new_papers: int = 0
    new_sightings: int = 0
    updated_sightings: int = 0
    quarantined: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def add(self, other: "IngestSummary") -> None:
        for name, value in asdict(other).items():
            if isinstance(value, int) and name not in ("days_requested", "days_skipped"):
                setattr(self, name, getattr(self, name) + value)
        self.quarantined += other.quarantined
        self.failed += other.failed

    def counters(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if isinstance(v, int)}
