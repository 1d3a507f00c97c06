"""Open-slot computation against hand-worked cases: notice, buffers, horizon, merging, midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.booking.model import Slot
from bot.booking.slots import SlotRules, by_day, open_slots
from bot.timefmt import show

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rules(
    zone: str = "Europe/London",
    windows: tuple[tuple[int, time, time], ...] = ((1, time(9), time(12)),),
    length: timedelta = HOUR,
    buffer: timedelta = timedelta(0),
    notice: timedelta = timedelta(0),
    horizon: timedelta = timedelta(days=7),
    step: timedelta = timedelta(minutes=30),
) -> SlotRules:
    return SlotRules(
        zone=zone,
        windows=windows,
        length=length,
        buffer=buffer,
        min_notice=notice,
        horizon=horizon,
        step=step,
    )


def starts(slots: list[Slot]) -> list[datetime]:
    return [s.starts_at for s in slots]


# London is on GMT (= UTC) in November 2026 after 25 Oct; Tue 3 Nov 2026.
MON_2_NOV = utc(2026, 11, 2, 0, 0)


def test_window_gives_slots_every_step_while_the_length_fits() -> None:
    slots = open_slots(rules=rules(), now=MON_2_NOV, coach_busy=[])
    assert starts(slots) == [
        utc(2026, 11, 3, h, m) for h, m in ((9, 0), (9, 30), (10, 0), (10, 30), (11, 0))
    ]
    assert all(s.ends_at - s.starts_at == HOUR for s in slots)


def test_minimum_notice_drops_slots_that_start_too_soon() -> None:
    now = utc(2026, 11, 2, 10, 0)
    slots = open_slots(rules=rules(notice=timedelta(hours=24)), now=now, coach_busy=[])
    assert starts(slots) == [utc(2026, 11, 3, 10), utc(2026, 11, 3, 10, 30), utc(2026, 11, 3, 11)]
    later = open_slots(rules=rules(notice=timedelta(hours=24)), now=now + 10 * MIN, coach_busy=[])
    assert starts(later) == [utc(2026, 11, 3, 10, 30), utc(2026, 11, 3, 11)]


def test_buffer_blocks_slots_touching_the_widened_booking() -> None:
    # a booking 10:00-11:00 with a 15-minute buffer keeps 09:45-11:15 free of slots
    window = ((1, time(8), time(14)),)
    busy = [(utc(2026, 11, 3, 10), utc(2026, 11, 3, 11))]
    r = rules(windows=window, length=30 * MIN, buffer=15 * MIN, step=15 * MIN)
    got = starts(open_slots(rules=r, now=MON_2_NOV, coach_busy=busy))
    day = [utc(2026, 11, 3, 8) + k * 15 * MIN for k in range(23)]  # 08:00 .. 13:30
    blocked = [utc(2026, 11, 3, 9, 30) + k * 15 * MIN for k in range(7)]  # 09:30 .. 11:00
    assert got == [t for t in day if t not in blocked]
    assert utc(2026, 11, 3, 9, 15) in got  # ends 09:45: touches the buffer, allowed
    assert utc(2026, 11, 3, 11, 15) in got  # starts at the buffer's end


def test_leader_busy_gets_no_buffer() -> None:
    busy = [(utc(2026, 11, 3, 10), utc(2026, 11, 3, 11))]
    r = rules(buffer=15 * MIN)
    got = starts(open_slots(rules=r, now=MON_2_NOV, coach_busy=[], leader_busy=busy))
    assert got == [utc(2026, 11, 3, 9), utc(2026, 11, 3, 11)]


def test_a_busy_span_shifts_nothing_slots_stay_on_the_window_grid() -> None:
    busy = [(utc(2026, 11, 3, 9), utc(2026, 11, 3, 9, 10))]
    got = starts(open_slots(rules=rules(), now=MON_2_NOV, coach_busy=busy))
    assert got == [
        utc(2026, 11, 3, 9, 30),
        utc(2026, 11, 3, 10),
        utc(2026, 11, 3, 10, 30),
        utc(2026, 11, 3, 11),
    ]


def test_horizon_and_not_after_cut_slots_that_would_end_later() -> None:
    now = utc(2026, 11, 2, 9, 30)
    daily = tuple((d, time(9), time(10)) for d in range(7))
    r = rules(windows=daily, length=30 * MIN, horizon=timedelta(days=7))
    got = starts(open_slots(rules=r, now=now, coach_busy=[]))
    assert got[0] == utc(2026, 11, 2, 9, 30)
    assert got[-1] == utc(2026, 11, 9, 9, 0)  # ends 09:30 = now + 7 days exactly
    assert len(got) == 1 + 6 * 2 + 1
    capped = open_slots(rules=r, now=now, coach_busy=[], not_after=utc(2026, 11, 4, 9, 45))
    assert starts(capped)[-2:] == [utc(2026, 11, 3, 9, 30), utc(2026, 11, 4, 9, 0)]
    assert open_slots(rules=r, now=now, coach_busy=[], not_after=now) == []


def test_adjacent_and_overlapping_windows_on_one_day_merge() -> None:
    r = rules(windows=((1, time(12), time(15)), (1, time(9), time(12))))
    got = starts(open_slots(rules=r, now=MON_2_NOV, coach_busy=[]))
    assert utc(2026, 11, 3, 11, 30) in got  # 11:30-12:30 spans both windows
    assert got == [utc(2026, 11, 3, 9) + k * 30 * MIN for k in range(11)]  # 09:00 .. 14:00
    overlapping = rules(windows=((1, time(9), time(11)), (1, time(10, 30), time(12))))
    got = starts(open_slots(rules=overlapping, now=MON_2_NOV, coach_busy=[]))
    assert got == [utc(2026, 11, 3, 9) + k * 30 * MIN for k in range(5)]
    apart = rules(windows=((1, time(9), time(10, 30)), (1, time(11), time(12))))
    got = starts(open_slots(rules=apart, now=MON_2_NOV, coach_busy=[]))
    assert got == [utc(2026, 11, 3, 9), utc(2026, 11, 3, 9, 30), utc(2026, 11, 3, 11)]


def test_slot_across_midnight_in_the_leaders_zone_is_grouped_under_its_start_day() -> None:
    # Sydney is on AEDT (UTC+11) in Nov 2026, New York on EST (UTC-5): 16 hours apart.
    # Wed 25 Nov 15:30 AEDT = 04:30Z = Tue 24 Nov 23:30 EST.
    r = rules(zone="Australia/Sydney", windows=((2, time(15, 30), time(17)),))
    slots = open_slots(rules=r, now=utc(2026, 11, 23), coach_busy=[])
    assert slots == [
        Slot(utc(2026, 11, 25, 4, 30), utc(2026, 11, 25, 5, 30)),
        Slot(utc(2026, 11, 25, 5, 0), utc(2026, 11, 25, 6, 0)),
    ]
    assert show(slots[0].starts_at, "America/New_York") == "Tue 24 Nov 2026, 23:30 EST"
    assert show(slots[0].ends_at, "America/New_York") == "Wed 25 Nov 2026, 00:30 EST"
    assert by_day(slots, "America/New_York") == [
        (date(2026, 11, 24), [slots[0]]),
        (date(2026, 11, 25), [slots[1]]),
    ]
    assert by_day(slots, "Australia/Sydney") == [(date(2026, 11, 25), slots)]


def test_slot_across_midnight_utc() -> None:
    # Wed 25 Nov 10:30 AEDT = Tue 24 Nov 23:30Z; the slot ends 00:30Z on Wednesday.
    r = rules(zone="Australia/Sydney", windows=((2, time(10, 30), time(12)),))
    slots = open_slots(rules=r, now=utc(2026, 11, 23), coach_busy=[])
    assert slots[0] == Slot(utc(2026, 11, 24, 23, 30), utc(2026, 11, 25, 0, 30))
    assert slots[0].key() == "20261124T2330Z"
    assert by_day(slots, "UTC") == [
        (date(2026, 11, 24), [slots[0]]),
        (date(2026, 11, 25), slots[1:]),
    ]
    assert show(slots[0].starts_at, "America/New_York") == "Tue 24 Nov 2026, 18:30 EST"


def test_by_day_keeps_days_in_order_and_sorts() -> None:
    a = Slot(utc(2026, 12, 1, 9), utc(2026, 12, 1, 10))
    b = Slot(utc(2026, 12, 2, 9), utc(2026, 12, 2, 10))
    c = Slot(utc(2026, 12, 2, 14), utc(2026, 12, 2, 15))
    assert by_day([c, a, b], "Europe/London") == [
        (date(2026, 12, 1), [a]),
        (date(2026, 12, 2), [b, c]),
    ]
    assert by_day([], "Europe/London") == []


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        rules(length=timedelta(0))
    with pytest.raises(ValueError):
        rules(buffer=-MIN)
    with pytest.raises(ValueError):
        open_slots(rules=rules(), now=datetime(2026, 11, 2), coach_busy=[])
