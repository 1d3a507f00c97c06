"""Next due instants, periods and late sweeps: restarts send exactly one nudge a week."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nudges.schedule import (
    late_decision,
    next_due,
    period_monday,
    period_of,
    wall_instant,
    weeks_between,
)

GRACE = timedelta(hours=12)
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # half-hour DST
    "America/Santiago",  # changes at midnight
    "America/St_Johns",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Africa/Casablanca",  # leaves and re-enters DST around Ramadan
    "Europe/Dublin",  # negative DST in tzdata
    "Asia/Tehran",  # DST abolished in 2022
    "UTC",
]


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def test_period_of_is_the_local_iso_week() -> None:
    assert period_of(utc(2026, 11, 30, 9), "Europe/London") == "2026-W49"
    assert period_of(utc(2027, 1, 1, 12), "Europe/London") == "2026-W53"  # 2026 has 53 weeks
    assert period_of(utc(2027, 1, 4, 0), "America/New_York") == "2026-W53"  # Sunday evening
    assert period_monday("2026-W49") == date(2026, 11, 30)
    assert weeks_between("2026-W52", "2027-W02") == 3
    with pytest.raises(ValueError, match="ISO week"):
        period_monday("2026-49")
    with pytest.raises(ValueError, match="naive"):
        period_of(datetime(2026, 11, 30, 9), "Europe/London")


def test_next_due_is_strictly_after() -> None:
    due = utc(2026, 11, 30, 9)  # Monday 09:00 GMT
    assert (
        next_due(weekday=0, at=time(9), zone="Europe/London", after=due - timedelta(seconds=1))
        == due
    )
    assert next_due(weekday=0, at=time(9), zone="Europe/London", after=due) == due + timedelta(
        weeks=1
    )


def test_a_fortnightly_cadence_keeps_to_the_anchor_weeks() -> None:
    def fortnightly(after: datetime, anchor: str | None = None) -> datetime:
        return next_due(
            weekday=0,
            at=time(9),
            zone="Europe/London",
            after=after,
            cadence_weeks=2,
            anchor_period=anchor,
        )

    # Anchored on W49 (30 Nov): W50 is off, W51 is on.
    assert fortnightly(utc(2026, 11, 30, 10), "2026-W49") == utc(2026, 12, 14, 9)
    # Anchored on W48: W49 (the same week) is itself on.
    assert fortnightly(utc(2026, 11, 29), "2026-W48") == utc(2026, 12, 7, 9)
    assert fortnightly(utc(2026, 11, 29), "2026-W47") == utc(2026, 11, 30, 9)
    # Without an anchor: the week of `after` (the last send) counts as an "on" week.
    assert fortnightly(utc(2026, 11, 30, 9)) == utc(2026, 12, 14, 9)
    # Across the year end (2026 has 53 ISO weeks).
    assert fortnightly(utc(2026, 12, 28, 9), "2026-W53") == utc(2027, 1, 11, 9)


def test_bad_arguments_are_refused() -> None:
    after = utc(2026, 11, 30)
    with pytest.raises(ValueError, match="weekday"):
        next_due(weekday=7, at=time(9), zone="UTC", after=after)
    with pytest.raises(ValueError, match="cadence"):
        next_due(weekday=0, at=time(9), zone="UTC", after=after, cadence_weeks=0)
    with pytest.raises(ValueError, match="tzinfo"):
        next_due(weekday=0, at=time(9, tzinfo=UTC), zone="UTC", after=after)
    with pytest.raises(ValueError, match="naive"):
        next_due(weekday=0, at=time(9), zone="UTC", after=datetime(2026, 11, 30))
    with pytest.raises(ValueError, match="grace"):
        late_decision(due=after, now=after, grace=timedelta(seconds=-1))


# --- restarts: the sweep may run early, on time, a little late, or after an outage ---------


@pytest.mark.parametrize(
    ("zone", "monday"),
    [
        ("Europe/London", date(2026, 11, 30)),
        ("America/New_York", date(2026, 3, 9)),  # the Monday after the spring change
        ("America/New_York", date(2026, 11, 2)),  # the Monday after the autumn change
        ("Australia/Sydney", date(2026, 4, 6)),
        ("Asia/Kolkata", date(2026, 11, 30)),
    ],
)
def test_restarted_sweeps_send_exactly_one_nudge(zone: str, monday: date) -> None:
    due = next_due(
        weekday=0,
        at=time(9),
        zone=zone,
        after=utc(monday.year, monday.month, monday.day) - timedelta(days=2),
    )
    assert due.astimezone(ZoneInfo(zone)).time() == time(9)
    sweeps = {
        timedelta(seconds=-1): "not_yet",  # 08:59:59
        timedelta(0): "send",  # 09:00:00
        timedelta(seconds=30): "send",  # 09:00:30
        timedelta(hours=3): "send",  # back after a 3-hour outage: within grace
        timedelta(hours=12): "send",  # the last instant of grace
        timedelta(hours=13): "skip_late",  # beyond grace: the caller records why
    }
    period = period_of(due, zone)
    sent: set[tuple[int, str, str]] = set()  # the unique key (leader, kind, period)
    sends = 0
    for offset, expected in sweeps.items():
        now = due + offset
        assert late_decision(due=due, now=now, grace=GRACE) == expected
        assert period_of(now, zone) == period  # all sweeps fall in the same local week
        if expected == "send" and (1, "reflection", period_of(due, zone)) not in sent:
            sent.add((1, "reflection", period_of(due, zone)))
            sends += 1
    assert sends == 1


def test_a_late_sweep_keys_on_the_due_week_not_the_sweep_week() -> None:
    # Sunday 22:00 nudge, process down until Monday 03:00: the key is the due's week.
    due = next_due(weekday=6, at=time(22), zone="Europe/London", after=utc(2026, 12, 5))
    now = due + timedelta(hours=5)
    assert late_decision(due=due, now=now, grace=GRACE) == "send"
    assert period_of(due, "Europe/London") == "2026-W49"
    assert period_of(now, "Europe/London") == "2026-W50"


# --- properties ---------------------------------------------------------------------------

afters = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
wall_times = st.times().map(lambda t: t.replace(microsecond=0))


def _is_wall_or_its_replacement(due: datetime, day: date, at: time, zone: str) -> bool:
    z = ZoneInfo(zone)
    here = due.astimezone(z)
    naive = datetime.combine(day, at)
    if here.replace(tzinfo=None) == naive:
        # The first of possibly two occurrences: an hour or so earlier is not the same wall.
        earlier = [due - timedelta(minutes=m) for m in (30, 60, 90, 120)]
        return all(e.astimezone(z).replace(tzinfo=None) != naive for e in earlier)
    # Not the wall time: it must not exist that day, and moved forward by exactly the gap.
    gap = here.utcoffset() - (due - timedelta(hours=6)).astimezone(z).utcoffset()  # type: ignore[operator]
    exists = any(
        (naive - off).replace(tzinfo=UTC).astimezone(z).replace(tzinfo=None) == naive
        for off in {here.utcoffset(), (due - timedelta(hours=6)).astimezone(z).utcoffset()}
        if off is not None
    )
    return (
        not exists
        and timedelta(0) < gap <= timedelta(hours=1)
        and here.replace(tzinfo=None) - naive == gap
    )


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    at=wall_times,
    after=afters,
)
def test_next_due_is_after_and_at_the_wall_time(
    zone: str, weekday: int, at: time, after: datetime
) -> None:
    due = next_due(weekday=weekday, at=at, zone=zone, after=after)
    assert due > after
    assert due - after <= timedelta(days=7, hours=2)
    assert due.tzinfo is UTC
    day = datetime.combine(due.astimezone(ZoneInfo(zone)).date(), time())
    # The intended local day is the wall-time day (a gap shift never crosses midnight here).
    assert day.weekday() == weekday
    assert _is_wall_or_its_replacement(due, day.date(), at, zone)
    assert due == wall_instant(day.date(), at, zone)


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    at=wall_times,
    after=afters,
    cadence=st.integers(1, 3),
)
def test_periods_strictly_increase_by_the_cadence(
    zone: str, weekday: int, at: time, after: datetime, cadence: int
) -> None:
    anchor = period_of(after, zone)
    dues = []
    for _ in range(12):
        after = next_due(
            weekday=weekday,
            at=at,
            zone=zone,
            after=after,
            cadence_weeks=cadence,
            anchor_period=anchor,
        )
        dues.append(after)
    periods = [period_of(d, zone) for d in dues]
    assert all(weeks_between(anchor, p) % cadence == 0 for p in periods)
    assert all(weeks_between(a, b) == cadence for a, b in itertools.pairwise(periods))


def _change_days(zone: str, year: int) -> list[date]:
    z = ZoneInfo(zone)
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        noon = datetime.combine(day, time(12), tzinfo=z).utcoffset()
        before = datetime.combine(day - timedelta(days=1), time(12), tzinfo=z).utcoffset()
        if noon != before:
            days.append(day - timedelta(days=1) if zone == "America/Santiago" else day)
            days.append(day)
        day += timedelta(days=1)
    return days


@pytest.mark.parametrize("zone", ZONES)
def test_every_quarter_hour_of_every_change_day_in_2026_and_2027(zone: str) -> None:
    z = ZoneInfo(zone)
    days = _change_days(zone, 2026) + _change_days(zone, 2027)
    for day in days:
        for minutes in range(0, 24 * 60, 15):
            at = time(minutes // 60, minutes % 60)
            after = datetime.combine(day, time(), tzinfo=z) - timedelta(days=1)
            due = next_due(weekday=day.weekday(), at=at, zone=zone, after=after)
            assert due.astimezone(z).date() == day
            assert _is_wall_or_its_replacement(due, day, at, zone), (day, at)
    if zone not in {"UTC", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran"}:
        assert days, "the zone changes its clocks in 2026/2027"
