"""Working hours and days in the person's own zone, across weekends and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.worktime import at_work, next_work_start
from storage.models import Person


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def person(zone: str, days: list[int] | None = None) -> Person:
    return Person(
        id=1,
        timezone=zone,
        workday_starts=time(9),
        workday_ends=time(17, 30),
        working_days=days if days is not None else [0, 1, 2, 3, 4],
    )


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        ("Europe/London", utc(2026, 11, 30, 9, 0), True),  # Monday 09:00 GMT
        ("Europe/London", utc(2026, 11, 30, 8, 59), False),
        ("Europe/London", utc(2026, 12, 5, 10, 0), False),  # Saturday
        ("Asia/Kolkata", utc(2026, 11, 30, 3, 30), True),  # 09:00 IST
        ("Australia/Sydney", utc(2026, 11, 29, 22, 0), True),  # Monday 09:00 AEDT
        ("America/New_York", utc(2026, 11, 30, 3, 0), False),  # 22:00 Sunday EST
        # The week New York leaves daylight time (1 Nov 2026): 09:00 is 13:00 UTC, then 14:00.
        ("America/New_York", utc(2026, 10, 30, 13, 0), True),
        ("America/New_York", utc(2026, 11, 2, 13, 0), False),
        ("America/New_York", utc(2026, 11, 2, 14, 0), True),
    ],
)
def test_at_work(zone: str, instant: datetime, expected: bool) -> None:
    assert at_work(person(zone), instant) is expected


def test_friday_evening_waits_for_monday_morning() -> None:
    friday_evening = utc(2026, 12, 4, 19, 0)  # 19:00 GMT Friday
    assert next_work_start(person("Europe/London"), friday_evening) == utc(2026, 12, 7, 9, 0)


def test_a_sunday_to_thursday_week_is_respected() -> None:
    someone = person("Asia/Riyadh", days=[6, 0, 1, 2, 3])
    assert at_work(someone, utc(2026, 12, 6, 7, 0))  # Sunday 10:00 AST
    assert not at_work(someone, utc(2026, 12, 4, 7, 0))  # Friday
    assert next_work_start(someone, utc(2026, 12, 4, 7, 0)) == utc(2026, 12, 6, 6, 0)


def test_next_start_across_the_spring_change_in_london() -> None:
    # Saturday 28 March 2026 evening GMT; on Monday 30 March London is on BST (UTC+1).
    assert next_work_start(person("Europe/London"), utc(2026, 3, 28, 20)) == utc(2026, 3, 30, 8)
