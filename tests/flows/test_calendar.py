from datetime import UTC, date, datetime

import pytest

from flows.calendar import EASTERN, expected_listing, is_listing_day, missing_announcements


@pytest.mark.parametrize(
    "now, expected",
    [
        (datetime(2026, 3, 4, 19, 59, tzinfo=EASTERN), date(2026, 3, 4)),  # Wednesday before 20:00
        (datetime(2026, 3, 4, 20, 0, tzinfo=EASTERN), date(2026, 3, 5)),  # Wednesday 20:00: Thursday's
        (datetime(2026, 3, 6, 21, 0, tzinfo=EASTERN), date(2026, 3, 6)),  # Friday evening: no announcement
        (datetime(2026, 3, 7, 12, 0, tzinfo=EASTERN), date(2026, 3, 6)),  # Saturday: still Friday's
        (datetime(2026, 3, 8, 20, 30, tzinfo=EASTERN), date(2026, 3, 9)),  # Sunday 20:00: Monday's
        (datetime(2026, 3, 9, 1, 30, tzinfo=UTC), date(2026, 3, 9)),  # the same moment in UTC
        (datetime(2025, 12, 25, 21, 0, tzinfo=EASTERN), date(2025, 12, 24)),  # holidays skipped
    ],
)
def test_the_expected_listing_follows_arxivs_schedule(now, expected):
    assert expected_listing(now) == expected


def test_weekends_and_holidays_have_no_listing():
    assert [is_listing_day(date(2026, 3, d)) for d in (6, 7, 8, 9)] == [True, False, False, True]
    assert not is_listing_day(date(2026, 1, 1)) and not is_listing_day(date(2026, 3, 10), {date(2026, 3, 10)})


def test_a_missing_announcement_is_named_and_a_weekend_is_not():
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=EASTERN)
    assert missing_announcements({"cs.LG": date(2026, 3, 6)}, saturday) == []
    tuesday_night = datetime(2026, 3, 3, 22, 0, tzinfo=EASTERN)
    alerts = missing_announcements({"cs.LG": date(2026, 3, 3), "cs.CL": date(2026, 3, 4)}, tuesday_night)
    assert alerts == [
        "arXiv cs.LG: /new still shows the listing of 2026-03-03, expected 2026-03-04 "
        "(announced 20:00 US Eastern the evening before)"
    ]
