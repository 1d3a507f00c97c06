"""Weekly nudges across the DST changes of 2026 and 2027: 09:00 local every Monday, no more."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.nudges.schedule import next_due, period_of, weeks_between

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
NINE = time(9)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def mondays_at_nine(zone: str, start: datetime, until: date) -> list[datetime]:
    """Iterate next_due weekly from `start` while the local date is on or before `until`."""
    dues: list[datetime] = []
    after = start
    while True:
        due = next_due(weekday=0, at=NINE, zone=zone, after=after)
        if due.astimezone(ZoneInfo(zone)).date() > until:
            return dues
        dues.append(due)
        after = due


@pytest.mark.parametrize("zone", ZONES)
def test_every_monday_of_2026_and_2027_at_nine_local(zone: str) -> None:
    dues = mondays_at_nine(zone, utc(2026, 1, 1), date(2027, 12, 31))
    here = [due.astimezone(ZoneInfo(zone)) for due in dues]
    # Every Monday of both years, each exactly once: none skipped, none doubled.
    expected_days = [date(2026, 1, 5) + timedelta(weeks=k) for k in range(104)]
    assert [h.date() for h in here] == expected_days
    assert all(h.time() == NINE and h.weekday() == 0 for h in here)
    assert all(due.tzinfo is UTC for due in dues)
    periods = [period_of(due, zone) for due in dues]
    assert len(set(periods)) == len(periods) == 104
    assert all(weeks_between(a, b) == 1 for a, b in itertools.pairwise(periods))
    assert periods[0] == "2026-W02" and periods[-1] == "2027-W52"


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        # New York: EST (UTC-5) until 8 Mar 2026, EDT (UTC-4) until 1 Nov 2026.
        ("America/New_York", utc(2026, 3, 1), utc(2026, 3, 2, 14)),
        ("America/New_York", utc(2026, 3, 8), utc(2026, 3, 9, 13)),
        ("America/New_York", utc(2026, 10, 25), utc(2026, 10, 26, 13)),
        ("America/New_York", utc(2026, 11, 1), utc(2026, 11, 2, 14)),
        ("America/New_York", utc(2027, 3, 7), utc(2027, 3, 8, 14)),
        ("America/New_York", utc(2027, 3, 14), utc(2027, 3, 15, 13)),
        ("America/New_York", utc(2027, 10, 31), utc(2027, 11, 1, 13)),
        ("America/New_York", utc(2027, 11, 7), utc(2027, 11, 8, 14)),
        # London: GMT until 29 Mar 2026, BST (UTC+1) until 25 Oct 2026.
        ("Europe/London", utc(2026, 3, 22), utc(2026, 3, 23, 9)),
        ("Europe/London", utc(2026, 3, 29), utc(2026, 3, 30, 8)),
        ("Europe/London", utc(2026, 10, 18), utc(2026, 10, 19, 8)),
        ("Europe/London", utc(2026, 10, 25), utc(2026, 10, 26, 9)),
        ("Europe/London", utc(2027, 3, 28), utc(2027, 3, 29, 8)),
        ("Europe/London", utc(2027, 10, 24), utc(2027, 10, 25, 8)),
        ("Europe/London", utc(2027, 10, 31), utc(2027, 11, 1, 9)),
        # Sydney: AEDT (UTC+11) until 5 Apr 2026, AEST (UTC+10) until 4 Oct 2026.
        # Monday 09:00 in Sydney is still Sunday in UTC.
        ("Australia/Sydney", utc(2026, 3, 29), utc(2026, 3, 29, 22)),
        ("Australia/Sydney", utc(2026, 4, 5), utc(2026, 4, 5, 23)),
        ("Australia/Sydney", utc(2026, 9, 27), utc(2026, 9, 27, 23)),
        ("Australia/Sydney", utc(2026, 10, 4), utc(2026, 10, 4, 22)),
        ("Australia/Sydney", utc(2027, 4, 4), utc(2027, 4, 4, 23)),
        ("Australia/Sydney", utc(2027, 10, 3), utc(2027, 10, 3, 22)),
        # Kolkata: IST (UTC+5:30) all year, no change at all.
        ("Asia/Kolkata", utc(2026, 3, 8), utc(2026, 3, 9, 3, 30)),
        ("Asia/Kolkata", utc(2026, 11, 1), utc(2026, 11, 2, 3, 30)),
    ],
)
def test_the_monday_around_each_change_by_hand(
    zone: str, after: datetime, expected: datetime
) -> None:
    assert next_due(weekday=0, at=NINE, zone=zone, after=after) == expected


def test_sydney_period_is_the_local_week_not_the_utc_one() -> None:
    due = utc(2026, 4, 5, 23)  # Monday 6 Apr 2026 09:00 AEST, Sunday in UTC
    assert period_of(due, "Australia/Sydney") == "2026-W15"
    assert period_of(due, "UTC") == "2026-W14"


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected", "local_wall"),
    [
        # London springs forward at 01:00 GMT: 01:00-01:59 does not exist, 01:30 -> 02:30 BST.
        ("Europe/London", date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 30), time(2, 30)),
        # 02:30 does exist in London that day (it is BST): it is kept as it is.
        ("Europe/London", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30), time(2, 30)),
        ("Europe/London", date(2027, 3, 28), time(1, 30), utc(2027, 3, 28, 1, 30), time(2, 30)),
        # New York springs forward at 02:00: 02:30 -> 03:30 EDT.
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 30), time(3, 30)),
        ("America/New_York", date(2027, 3, 14), time(2, 30), utc(2027, 3, 14, 7, 30), time(3, 30)),
        # Sydney springs forward at 02:00 on 4 Oct 2026: 02:30 -> 03:30 AEDT.
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 30), time(3, 30)),
        ("Australia/Sydney", date(2027, 10, 3), time(2, 30), utc(2027, 10, 2, 16, 30), time(3, 30)),
    ],
)
def test_a_wall_time_in_the_spring_gap_moves_forward_by_the_gap(
    zone: str, day: date, at: time, expected: datetime, local_wall: time
) -> None:
    due = next_due(
        weekday=6, at=at, zone=zone, after=utc(day.year, day.month, day.day) - timedelta(days=2)
    )
    assert due == expected
    here = due.astimezone(ZoneInfo(zone))
    assert here.date() == day and here.time() == local_wall


@pytest.mark.parametrize(
    ("zone", "day", "first", "second"),
    [
        # New York falls back at 02:00 EDT on 1 Nov 2026: 01:30 happens at 05:30Z and 06:30Z.
        ("America/New_York", date(2026, 11, 1), utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)),
        ("America/New_York", date(2027, 11, 7), utc(2027, 11, 7, 5, 30), utc(2027, 11, 7, 6, 30)),
        # London falls back at 02:00 BST on 25 Oct 2026: 01:30 at 00:30Z and 01:30Z.
        ("Europe/London", date(2026, 10, 25), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),
        # Sydney falls back at 03:00 AEDT on 5 Apr 2026: 02:30 at 15:30Z and 16:30Z (4 Apr).
        ("Australia/Sydney", date(2026, 4, 5), utc(2026, 4, 4, 15, 30), utc(2026, 4, 4, 16, 30)),
    ],
)
def test_an_ambiguous_wall_time_takes_the_first_occurrence_only(
    zone: str, day: date, first: datetime, second: datetime
) -> None:
    at = first.astimezone(ZoneInfo(zone)).time()
    assert second.astimezone(ZoneInfo(zone)).time() == at  # truly ambiguous
    due = next_due(weekday=6, at=at, zone=zone, after=first - timedelta(days=2))
    assert due == first
    # After sending at the first occurrence, the repeat an hour later is not due again.
    again = next_due(weekday=6, at=at, zone=zone, after=due)
    assert again != second
    assert again.astimezone(ZoneInfo(zone)).date() == day + timedelta(weeks=1)
    assert period_of(again, zone) != period_of(due, zone)


def test_sunday_nudges_around_the_changes_stay_one_a_week() -> None:
    # A leader who chose Sunday 01:30 in New York: through both changes of 2026.
    dues: list[datetime] = []
    after = utc(2026, 2, 20)
    while after < utc(2026, 11, 20):
        after = next_due(weekday=6, at=time(1, 30), zone="America/New_York", after=after)
        dues.append(after)
    periods = [period_of(d, "America/New_York") for d in dues]
    assert all(weeks_between(a, b) == 1 for a, b in itertools.pairwise(periods))
    assert utc(2026, 11, 1, 5, 30) in dues and utc(2026, 11, 1, 6, 30) not in dues
