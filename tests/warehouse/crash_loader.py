"""Run as a subprocess by test_crash.py: load one large batch into the warehouse given as argv[1]."""

import sys
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from common.records import PaperRecord
from warehouse import load
from warehouse.db import connect
from warehouse.load import PageResult, RawPage, load_pages
from warehouse.transactions import transaction

PAGES, PER_PAGE = 400, 100
FETCHED = datetime(2026, 4, 30, 6, 0)


def batch() -> list[PageResult]:
    results = []
    for n in range(PAGES):
        day = date(2025, 1, 1) + timedelta(n)
        page = RawPage(
            url=f"http://hf/api/daily_papers?date={day}",
            sha256=f"{n:064x}",
            source="hf",
            kind="api",
            digest_date=day,
            status=200,
            fetched_at=FETCHED,
            size=1000,
        )
        records = [
            PaperRecord(
                arxiv_id=f"{day:%y%m}.{n:02d}{i:03d}",
                source="hf",
                digest_date=day,
                rank=i + 1,
                title=f"Paper {n}-{i}",
                observed_at=FETCHED,
                upvotes=i,
                abstract="x" * 400,
                authors=("A", "B", "C"),
            )
            for i in range(PER_PAGE)
        ]
        results.append(PageResult(page, records))
    return results


@contextmanager
def announced_transaction(con):
    # Say "loading" when the transaction opens and "loaded" once it has committed: the test times the
    # load between the two and kills inside it, whatever the interpreter took to start.
    with transaction(con):
        print("loading", flush=True)
        yield con
    print("loaded", flush=True)


if __name__ == "__main__":
    work = batch()
    load.transaction = announced_transaction
    with connect(sys.argv[1]) as con:
        load_pages(con, work, run_id="crash-test")
    print("done", flush=True)
