from datetime import date, datetime, timedelta

from common.records import PaperRecord
from warehouse.load import PageResult, RawPage, load_pages

MON, TUE = date(2026, 3, 9), date(2026, 3, 10)
T0 = datetime(2026, 3, 10, 6, 0)


def listing(category: str, day: date, entries: list[tuple[str, str]], *, at: datetime = T0, crawl: date | None = None):
    crawl = crawl or day
    page = RawPage(
        url=f"http://arxiv/list/{category}/new?date={crawl}",
        sha256=f"{category}{crawl}{at}".ljust(64, "0"),
        source="arxiv",
        kind="listing",
        digest_date=crawl,
        status=200,
        fetched_at=at,
        size=1,
        listing=category,
    )
    records = [
        PaperRecord(
            arxiv_id=i,
            source="arxiv",
            digest_date=day,
            rank=n,
            title=f"T {i}",
            observed_at=at,
            section=section,
            listings=(category,),
            categories=(category,),
        )
        for n, (i, section) in enumerate(entries, start=1)
    ]
    return PageResult(page, records, digest_date=day if day != crawl else None)


def api_result(arxiv_id: str, submitted: date, at: datetime = T0):
    page = RawPage(
        url=f"http://arxiv/api/query?id_list={arxiv_id}",
        sha256=f"api{arxiv_id}".ljust(64, "0"),
        source="arxiv-api",
        kind="api",
        digest_date=submitted,
        status=200,
        fetched_at=at,
        size=1,
        listing="id_list",
    )
    return PageResult(
        page,
        [
            PaperRecord(
                arxiv_id=arxiv_id,
                source="arxiv-api",
                digest_date=submitted,
                rank=1,
                title=f"T {arxiv_id}",
                observed_at=at,
                version=2,
            )
        ],
    )


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_one_paper_in_two_listings_the_same_day_is_one_sighting_with_both(warehouse):
    load_pages(
        warehouse,
        [listing("cs.LG", TUE, [("2603.1", "new")]), listing("cs.CL", TUE, [("2603.1", "cross")])],
        run_id="r",
    )
    assert rows(warehouse, "SELECT section, listings FROM sightings") == [("new", ["cs.CL", "cs.LG"])]


def test_the_merge_of_listings_does_not_depend_on_load_order(warehouse):
    load_pages(warehouse, [listing("cs.CL", TUE, [("2603.1", "cross")])], run_id="r1")
    counts = load_pages(
        warehouse, [listing("cs.LG", TUE, [("2603.1", "new")], at=T0 + timedelta(hours=1))], run_id="r2"
    )
    assert counts.new_sightings == 0 and counts.updated_sightings == 1
    assert rows(warehouse, "SELECT section, listings FROM sightings") == [("new", ["cs.CL", "cs.LG"])]


def test_a_listing_identical_to_the_previous_one_is_recorded_as_a_repeat_and_adds_nothing(warehouse):
    load_pages(warehouse, [listing("cs.LG", MON, [("2603.1", "new"), ("2603.2", "new")])], run_id="r1")
    counts = load_pages(
        warehouse,
        [listing("cs.LG", TUE, [("2603.2", "new"), ("2603.1", "new")], at=T0 + timedelta(days=1))],
        run_id="r2",
    )
    assert (counts.pages_repeated, counts.new_sightings) == (1, 0)
    assert rows(warehouse, "SELECT digest_date, repeat_of FROM digests ORDER BY 1") == [(MON, None), (TUE, MON)]


def test_a_paper_is_a_new_submission_once_whatever_the_load_order(warehouse):
    load_pages(warehouse, [listing("cs.LG", TUE, [("2603.1", "new"), ("2603.3", "new")])], run_id="r1")
    load_pages(
        warehouse,
        [listing("cs.LG", MON, [("2603.1", "new"), ("2603.2", "new")], at=T0 + timedelta(hours=1))],
        run_id="r2",
    )
    assert rows(
        warehouse,
        """SELECT arxiv_id, digest_date FROM sightings WHERE section = 'new'
                              ORDER BY 1""",
    ) == [("2603.1", MON), ("2603.2", MON), ("2603.3", TUE)]
    assert rows(warehouse, "SELECT first_digest_date FROM papers WHERE arxiv_id = '2603.1'") == [(MON,)]


def test_api_results_do_not_move_a_listed_papers_first_digest_date(warehouse):
    load_pages(warehouse, [listing("cs.LG", TUE, [("2603.1", "new")])], run_id="r1")
    load_pages(
        warehouse,
        [
            api_result("2603.1", date(2026, 3, 6), at=T0 + timedelta(days=2)),
            api_result("0601.0001", date(2006, 1, 3), at=T0 + timedelta(days=2)),
        ],
        run_id="r2",
    )
    assert rows(warehouse, "SELECT arxiv_id, first_digest_date, version FROM papers ORDER BY 1") == [
        ("0601.0001", date(2006, 1, 3), 2),
        ("2603.1", TUE, 2),
    ]


def test_a_later_new_announcement_is_left_out_and_not_counted(warehouse):
    load_pages(warehouse, [listing("cs.LG", MON, [("2603.1", "new")])], run_id="r1")
    counts = load_pages(
        warehouse,
        [listing("cs.CL", TUE, [("2603.1", "new"), ("2603.2", "new")], at=T0 + timedelta(hours=1))],
        run_id="r2",
    )
    assert (counts.new_papers, counts.new_sightings, counts.updated_sightings) == (1, 1, 0)
    assert rows(warehouse, "SELECT arxiv_id, digest_date FROM sightings ORDER BY 1") == [
        ("2603.1", MON),
        ("2603.2", TUE),
    ]


def test_an_earlier_new_announcement_supersedes_the_stored_later_one(warehouse):
    load_pages(warehouse, [listing("cs.LG", TUE, [("2603.1", "new")])], run_id="r1")
    counts = load_pages(
        warehouse, [listing("cs.LG", MON, [("2603.1", "new")], at=T0 + timedelta(hours=1))], run_id="r2"
    )
    # One sighting in, the superseded one out: the net count, as the runs table has always kept it.
    assert (counts.new_papers, counts.new_sightings, counts.updated_sightings) == (0, 0, 0)
    assert rows(warehouse, "SELECT digest_date FROM sightings") == [(MON,)]
    assert rows(warehouse, "SELECT first_digest_date, last_digest_date FROM papers") == [(MON, MON)]
