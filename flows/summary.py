"""What an ingest run reports (kept free of Prefect so the CLI can import it cheaply)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


class IngestIncomplete(RuntimeError):
    """Some pages were quarantined or could not be fetched; the rest loaded."""

    def __init__(self, summary: "IngestSummary") -> None:
        lines = [f"  quarantined: {q}" for q in summary.quarantined] + [f"  failed: {f}" for f in summary.failed]
        if summary.stopped:
            lines.append(f"  stopped: {summary.stopped}; {summary.days_unfetched} day(s) not fetched, "
                         "run again later (loaded days are skipped)")
        super().__init__(f"{summary.pages_quarantined} page(s) quarantined, {summary.pages_failed} failed, "
                         f"{summary.days_unfetched} not fetched (the other days loaded; see `papertrend status`):\n"
                         + "\n".join(lines))
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
    pages_fallback: int = 0
    days_unfetched: int = 0
    new_papers: int = 0
    new_sightings: int = 0
    updated_sightings: int = 0
    quarantined: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    stopped: str | None = None          # why the run stopped early (a host rate-limited us)
    stopped_hosts: set[str] = field(default_factory=set)

    @property
    def incomplete(self) -> bool:
        return bool(self.pages_quarantined or self.pages_failed or self.days_unfetched)

    def add(self, other: "IngestSummary") -> None:
        """Fold a batch's summary into the run's."""
        self.stopped = self.stopped or other.stopped
        self.stopped_hosts |= other.stopped_hosts
        for name, value in asdict(other).items():
            if isinstance(value, int) and name not in ("days_requested", "days_skipped"):
                setattr(self, name, getattr(self, name) + value)
        self.quarantined += other.quarantined
        self.failed += other.failed

    def counters(self) -> dict[str, int]:
        """The integer counts, as stored in the `runs` table."""
        return {k: v for k, v in asdict(self).items() if isinstance(v, int)}
