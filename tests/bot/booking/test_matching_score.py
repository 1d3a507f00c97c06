"""The pure side of matching: weekly overlap across zones and DST, accreditation, the score."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.booking import match_score as ms

WEEKDAYS = (0, 1, 2, 3, 4)
NY_10_TO_14 = tuple((d, time(10), time(14)) for d in WEEKDAYS)


def london_leader_vs_new_york_coach(now: datetime) -> float:
    """A London leader 09:00-17:30 Mon-Fri; a New York coach 10:00-14:00 Mon-Fri."""
    first = ms.week_start(now, "Europe/London")
    spans = ms.workday_spans(
        zone="Europe/London", starts=time(9), ends=time(17, 30), days=WEEKDAYS, first=first
    )
    return ms.weekly_overlap_hours(
        leader_spans=spans, coach_zone="America/New_York", windows=NY_10_TO_14, first=first
    )


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        # Both on standard time: 10-14 New York is 15-19 London -> 15:00-17:30, 2.5 h a day.
        (datetime(2026, 11, 24, 10, tzinfo=UTC), 12.5),
        # Only the US has moved (8 Mar; UK on 29 Mar): 14-18 London -> 3.5 h a day.
        (datetime(2026, 3, 10, 12, tzinfo=UTC), 17.5),
        # Only the UK has moved back (25 Oct; US on 1 Nov): again 14-18 London.
        (datetime(2026, 10, 26, 12, tzinfo=UTC), 17.5),
        # Both on summer time: 15-19 London again.
        (datetime(2026, 6, 15, 12, tzinfo=UTC), 12.5),
        # The week from Fri 6 Mar spans the US change: Fri 2.5 h, Mon-Thu 3.5 h each.
        (datetime(2026, 3, 6, 12, tzinfo=UTC), 16.5),
    ],
)
def test_overlap_follows_each_zones_own_clock(now: datetime, hours: float) -> None:
    assert london_leader_vs_new_york_coach(now) == pytest.approx(hours)


def test_the_week_is_the_leaders_local_week() -> None:
    # 23:30 UTC on Sunday 1 Mar is already Monday in Sydney: the leader's week starts Monday.
    now = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert ms.week_start(now, "Australia/Sydney") == date(2026, 3, 2)
    assert ms.week_start(now, "Europe/London") == date(2026, 3, 1)


def test_a_workday_past_midnight_and_overlapping_windows_count_once() -> None:
    first = date(2026, 11, 23)  # a Monday
    spans = ms.workday_spans(zone="UTC", starts=time(22), ends=time(6), days=[0], first=first)
    assert [(e - s) / 3600 for s, e in spans] == [8.0]
    windows = [(0, time(21), time(23, 30)), (0, time(23), time(23, 59)), (1, time(0), time(2))]
    hours = ms.weekly_overlap_hours(
        leader_spans=spans, coach_zone="UTC", windows=windows, first=first
    )
    assert hours == pytest.approx(1 + 59 / 60 + 2)


def test_no_working_days_means_no_overlap() -> None:
    first = date(2026, 11, 23)
    spans = ms.workday_spans(zone="UTC", starts=time(9), ends=time(17), days=[], first=first)
    assert spans == []
    assert (
        ms.weekly_overlap_hours(
            leader_spans=spans, coach_zone="UTC", windows=NY_10_TO_14, first=first
        )
        == 0
    )


def test_accreditation_maps_both_bodies_to_one_scale() -> None:
    rank = ms.accreditation_rank
    assert [
        rank("EMCC", lv)
        for lv in ("Foundation", "Practitioner", "Senior Practitioner", "Master Practitioner")
    ] == [1, 2, 3, 4]
    assert [rank("ICF", lv) for lv in ("ACC", "PCC", "MCC")] == [2, 3, 4]
    assert rank("icf", "mcc") == 4
    assert rank("ICF", "Grandmaster") == 0


def test_language_uses_the_base_of_the_locale() -> None:
    assert ms.speaks(["en", "es"], "es-ES")
    assert ms.speaks(["pt-BR"], "pt_PT")
    assert not ms.speaks(["en"], "es")
    assert not ms.speaks(["en"], "")


def test_score_weights() -> None:
    base = {"accreditation": 3, "free": 6, "capacity": 8}
    assert ms.score(language=True, overlap_hours=20, **base) == 85.75
    assert ms.score(language=True, overlap_hours=40, **base) == 85.75  # capped at 20 h
    assert ms.score(language=False, overlap_hours=10, **base) == 30.75
    # No overlap weighs more than language, accreditation and room together.
    assert ms.score(language=True, overlap_hours=0, accreditation=4, free=8, capacity=8) < (
        ms.score(language=False, overlap_hours=0.25, accreditation=1, free=0, capacity=8)
    )


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0, "0"),
        (0.1, "0.5"),
        (2.5, "2.5"),
        (17.5, "17.5"),
        (20, "20"),
        (12.7, "12.5"),
        (12.8, "13"),
    ],
)
def test_hours_text(hours: float, text: str) -> None:
    assert ms.hours_text(hours) == text


ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Madrid",
    "America/New_York",
    "America/Santiago",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
]


def reference_hours(
    *,
    leader_zone: str,
    starts: time,
    ends: time,
    days: list[int],
    coach_zone: str,
    windows: list[tuple[int, time, time]],
    now: datetime,
) -> float:
    """Slow and obvious: every window on every nearby date through zoneinfo, merged."""
    from zoneinfo import ZoneInfo

    first = now.astimezone(ZoneInfo(leader_zone)).date()
    leader = []
    for ahead in range(7):
        day = first + timedelta(days=ahead)
        if day.weekday() in days and starts != ends:
            end_day = day if ends > starts else day + timedelta(days=1)
            leader.append(
                (
                    datetime.combine(day, starts, tzinfo=ZoneInfo(leader_zone)),
                    datetime.combine(end_day, ends, tzinfo=ZoneInfo(leader_zone)),
                )
            )
    coach = []
    for ahead in range(-4, 12):
        day = first + timedelta(days=ahead)
        for weekday, a, b in windows:
            if weekday == day.weekday():
                coach.append(
                    (
                        datetime.combine(day, a, tzinfo=ZoneInfo(coach_zone)),
                        datetime.combine(day, b, tzinfo=ZoneInfo(coach_zone)),
                    )
                )
    lspans = ms.merged((x.timestamp(), y.timestamp()) for x, y in leader)
    cspans = ms.merged((x.timestamp(), y.timestamp()) for x, y in coach)
    total = 0.0
    for ls, le in lspans:
        for cs, ce in cspans:
            total += max(0.0, min(le, ce) - max(ls, cs))
    return total / 3600


quarter = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))


@given(
    leader_zone=st.sampled_from(ZONES),
    coach_zone=st.sampled_from(ZONES),
    day_offset=st.integers(0, 730),
    starts=quarter,
    ends=quarter,
    days=st.lists(st.integers(0, 6), unique=True),
    windows=st.lists(st.tuples(st.integers(0, 6), quarter, quarter), max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_fast_overlap_agrees_with_the_obvious_one(
    leader_zone: str,
    coach_zone: str,
    day_offset: int,
    starts: time,
    ends: time,
    days: list[int],
    windows: list[tuple[int, time, time]],
) -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=day_offset)
    windows = [(d, a, b) for d, a, b in windows if b > a]
    first = ms.week_start(now, leader_zone)
    spans = ms.workday_spans(zone=leader_zone, starts=starts, ends=ends, days=days, first=first)
    fast = ms.weekly_overlap_hours(
        leader_spans=spans, coach_zone=coach_zone, windows=windows, first=first
    )
    slow = reference_hours(
        leader_zone=leader_zone,
        starts=starts,
        ends=ends,
        days=days,
        coach_zone=coach_zone,
        windows=windows,
        now=now,
    )
    assert fast == pytest.approx(slow, abs=1e-9)


def test_windows_parse_from_either_database() -> None:
    sqlite = "2 14:00:00.000000 17:30:00.000000,0 09:00:00.000000 13:00:00.000000"
    expected = ((0, 9 * 3600, 13 * 3600), (2, 14 * 3600, 17 * 3600 + 1800))
    assert ms.parse_windows(sqlite) == expected
    assert ms.parse_windows("0 09:00:00 13:00:00,2 14:00:00 17:30:00") == expected
    assert ms.parse_windows(None) == ms.parse_windows("") == ()
