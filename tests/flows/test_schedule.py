from flows.schedule import daily_schedule
from flows.settings import Settings


def test_the_daily_schedule_uses_the_configured_cron_and_zone():
    schedule = daily_schedule(
        Settings.load(env={"PAPERTREND_TIMEZONE": "Europe/Berlin", "PAPERTREND_SCHEDULE_CRON": "15 7 * * 1-5"})
    )
    assert (schedule.cron, schedule.timezone) == ("15 7 * * 1-5", "Europe/Berlin")
