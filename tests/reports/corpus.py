"""Loading a folder of HF API captures straight into a warehouse, for report tests (the flows are tested elsewhere)."""
import gzip
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from extractors.hf_daily_json import parse_daily_api
from flows.term_index import refresh_term_index
from warehouse.db import connect
from warehouse.load import PageResult, RawPage, load_pages


def load_corpus(root: Path, path: Path) -> Path:
    """Load every `root/hf-daily-api/*.json.gz` into the warehouse at `path`, with its phrase index."""
    results = []
    for file in sorted((root / "hf-daily-api").glob("*.json.gz")):
        day = date.fromisoformat(file.name[:10])
        body = gzip.decompress(file.read_bytes())
        at = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=20)
        page = RawPage(url=f"http://hf/{day}", sha256=f"{day}".ljust(64, "0"), source="hf", kind="api",
                       digest_date=day, status=200, fetched_at=at, size=len(body))
        results.append(PageResult(page, parse_daily_api(body, digest_date=day, observed_at=at)))
    with connect(path) as con:
        load_pages(con, results, run_id="test")
        refresh_term_index(con)
    return path
