"""The respect rules: quiet hours, pre-session blackout, weekly cap, back-off, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nudges.quiet import QuietHours, defer_out_of_quiet
from bot.nudges.schedule import (
    cadence_after,
    in_blackout,
    late_decision,
    next_due,
    over_cap,
    reminder_due,
    should_ask_to_pause,
)

QUIET = QuietHours()  # 20:00 to 08:00 local
DAY = timedelta(hours=24)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


# --- quiet hours ---------------------------------------------------------------------------


def test_quiet_hours_default_is_eight_at_night_to_eight_in_the_morning() -> None:
    assert QuietHours(start=time(20), end=time(8)) == QUIET
    assert QUIET.contains(time(20)) and QUIET.contains(time(3)) and QUIET.contains(time(7, 59))
    assert not QUIET.contains(time(8)) and not QUIET.contains(time(19, 59, 59))
    lunch = QuietHours(start=time(12), end=time(13))
    assert lunch.contains(time(12, 30)) and not lunch.contains(time(13))
    assert not QuietHours(start=time(9), end=time(9)).contains(time(9))  # empty


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        # 03:00 GMT in London: wait for 08:00 the same morning.
        ("Europe/London", utc(2026, 11, 30, 3), utc(2026, 11, 30, 8)),
        # 21:30 GMT Monday: wait for 08:00 Tuesday.
        ("Europe/London", utc(2026, 11, 30, 21, 30), utc(2026, 12, 1, 8)),
        # 09:00 is not quiet: unchanged.
        ("Europe/London", utc(2026, 11, 30, 9), utc(2026, 11, 30, 9)),
        # Kolkata 02:00 IST = 20:30Z the day before: 08:00 IST = 02:30Z.
        ("Asia/Kolkata", utc(2026, 11, 29, 20, 30), utc(2026, 11, 30, 2, 30)),
        # Sydney 23:00 AEDT Monday = 12:00Z: 08:00 AEDT Tuesday = 21:00Z Monday.
        ("Australia/Sydney", utc(2026, 11, 30, 12), utc(2026, 11, 30, 21)),
        # The night London springs forward (29 Mar 2026): 00:30 GMT -> 08:00 BST = 07:00Z.
        ("Europe/London", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 7)),
        # The night New York falls back (1 Nov 2026): 01:30 EST (second) -> 08:00 EST = 13:00Z.
        ("America/New_York", utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 13)),
    ],
)
def test_a_nudge_in_quiet_hours_waits_for_their_end(
    zone: str, instant: datetime, expected: datetime
) -> None:
    assert defer_out_of_quiet(instant, zone, QUIET, allowed=False) == expected
    assert defer_out_of_quiet(instant, zone, QUIET, allowed=True) == instant


def test_a_leader_who_chose_an_evening_time_gets_it() -> None:
    due = next_due(weekday=0, at=time(21), zone="Europe/London", after=utc(2026, 11, 29))
    assert defer_out_of_quiet(due, "Europe/London", QUIET, allowed=True) == due
    assert defer_out_of_quiet(due, "Europe/London", QUIET, allowed=False) == utc(2026, 12, 1, 8)


def test_quiet_hours_refuse_naive_and_zoned_times() -> None:
    with pytest.raises(ValueError, match="naive"):
        defer_out_of_quiet(datetime(2026, 11, 30, 3), "UTC", QUIET, allowed=False)
    with pytest.raises(ValueError, match="tzinfo"):
        QuietHours(start=time(20, tzinfo=UTC))


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
    instant=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
)
def test_deferred_instants_are_never_quiet_and_never_earlier(zone: str, instant: datetime) -> None:
    moved = defer_out_of_quiet(instant, zone, QUIET, allowed=False)
    here = moved.astimezone(ZoneInfo(zone))
    assert moved >= instant
    assert moved - instant <= timedelta(hours=13)
    assert not QUIET.contains(here.time())
    if moved != instant:
        assert here.time() == time(8)


# --- pre-session blackout ------------------------------------------------------------------


def test_no_nudge_in_the_24_hours_before_a_session() -> None:
    session = (utc(2026, 12, 2, 10), utc(2026, 12, 2, 11))
    assert not in_blackout(instant=utc(2026, 12, 1, 9, 59, 59), sessions=[session])
    assert in_blackout(instant=utc(2026, 12, 1, 10), sessions=[session])
    assert in_blackout(instant=utc(2026, 12, 2, 9, 59), sessions=[session])
    assert in_blackout(instant=utc(2026, 12, 2, 10, 30), sessions=[session])  # during it
    assert not in_blackout(instant=utc(2026, 12, 2, 11), sessions=[session])  # after it
    assert not in_blackout(instant=utc(2026, 12, 1, 9), sessions=[])
    other = (utc(2026, 12, 9, 10), utc(2026, 12, 9, 11))
    assert in_blackout(instant=utc(2026, 12, 9, 9), sessions=[session, other])
    shorter = timedelta(hours=2)
    assert not in_blackout(instant=utc(2026, 12, 2, 7), sessions=[session], before=shorter)
    assert in_blackout(instant=utc(2026, 12, 2, 8), sessions=[session], before=shorter)


# --- weekly cap and back-off ---------------------------------------------------------------


def test_the_weekly_cap() -> None:
    assert not over_cap(sent_this_week=0, cap=2)
    assert not over_cap(sent_this_week=1, cap=2)
    assert over_cap(sent_this_week=2, cap=2)
    assert over_cap(sent_this_week=3, cap=2)
    assert over_cap(sent_this_week=0, cap=0)
    with pytest.raises(ValueError, match="negative"):
        over_cap(sent_this_week=0, cap=-1)


def test_back_off_to_fortnightly_after_three_ignored() -> None:
    assert [cadence_after(n) for n in range(6)] == [1, 1, 1, 2, 2, 2]


def test_asked_to_pause_once_at_three_ignored() -> None:
    assert [should_ask_to_pause(n, already_asked=False) for n in range(5)] == [
        False,
        False,
        False,
        True,
        True,  # the ask was missed at 3 (e.g. capped): still owed, once
    ]
    assert not any(should_ask_to_pause(n, already_asked=True) for n in range(10))


def test_a_backed_off_leader_is_nudged_every_other_week() -> None:
    # Three ignored by W49 -> fortnightly, anchored on the last send's week.
    last = utc(2026, 11, 30, 9)  # Monday 09:00 GMT, W49
    cadence = cadence_after(3)
    due = next_due(weekday=0, at=time(9), zone="Europe/London", after=last, cadence_weeks=cadence)
    assert due == utc(2026, 12, 14, 9)
    # Answered again: streak 0, weekly once more.
    assert next_due(
        weekday=0, at=time(9), zone="Europe/London", after=due, cadence_weeks=cadence_after(0)
    ) == utc(2026, 12, 21, 9)


# --- grace and reminders -------------------------------------------------------------------


def test_grace_bounds_are_inclusive() -> None:
    due, grace = utc(2026, 11, 30, 9), timedelta(hours=12)
    assert late_decision(due=due, now=due - timedelta(microseconds=1), grace=grace) == "not_yet"
    assert late_decision(due=due, now=due, grace=grace) == "send"
    assert late_decision(due=due, now=due + grace, grace=grace) == "send"
    late = due + grace + timedelta(microseconds=1)
    assert late_decision(due=due, now=late, grace=grace) == "skip_late"
    assert late_decision(due=due, now=due, grace=timedelta(0)) == "send"


def test_a_reminder_a_day_later_only_if_unanswered() -> None:
    sent = utc(2026, 11, 30, 9)
    assert not reminder_due(sent_at=sent, answered_at=None, now=sent + DAY - timedelta(seconds=1))
    assert reminder_due(sent_at=sent, answered_at=None, now=sent + DAY)
    assert reminder_due(sent_at=sent, answered_at=None, now=sent + 3 * DAY)  # no grace: still
    answered = sent + timedelta(hours=2)
    assert not reminder_due(sent_at=sent, answered_at=answered, now=sent + DAY)
    custom = timedelta(hours=6)
    assert reminder_due(sent_at=sent, answered_at=None, now=sent + custom, delay=custom)


def test_a_stale_reminder_is_dropped_given_a_grace() -> None:
    sent, grace = utc(2026, 11, 30, 9), timedelta(hours=12)
    assert reminder_due(sent_at=sent, answered_at=None, now=sent + DAY + grace, grace=grace)
    too_late = sent + DAY + grace + timedelta(seconds=1)
    assert not reminder_due(sent_at=sent, answered_at=None, now=too_late, grace=grace)
