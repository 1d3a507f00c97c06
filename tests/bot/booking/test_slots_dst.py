"""Slots across DST changes, hand-worked: zones that change on different dates, gaps, repeats."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.booking.model import Slot
from bot.booking.slots import SlotRules, by_day, open_slots
from bot.timefmt import show

HOUR = timedelta(hours=1)
HALF = timedelta(minutes=30)
NY = "America/New_York"
LONDON = "Europe/London"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rules(zone: str, windows: tuple[tuple[int, time, time], ...], length: timedelta) -> SlotRules:
    return SlotRules(
        zone=zone,
        windows=windows,
        length=length,
        buffer=timedelta(0),
        min_notice=timedelta(0),
        horizon=timedelta(days=40),
    )


def firsts(slots: list[Slot], zone: str) -> dict[date, Slot]:
    return {day: day_slots[0] for day, day_slots in by_day(slots, zone)}


def test_spring_us_has_moved_uk_not_coach_in_london() -> None:
    # Tuesday 14:00-17:00 London. US clocks go forward 8 Mar 2026, UK clocks 29 Mar 2026.
    r = rules(LONDON, ((1, time(14), time(17)),), HOUR)
    slots = open_slots(rules=r, now=utc(2026, 3, 1), coach_busy=[])
    first = firsts(slots, NY)
    assert list(first) == [date(2026, 3, d) for d in (3, 10, 17, 24, 31)] + [date(2026, 4, 7)]
    # before either change: GMT and EST, 5 hours apart
    assert first[date(2026, 3, 3)].starts_at == utc(2026, 3, 3, 14)
    assert show(first[date(2026, 3, 3)].starts_at, NY) == "Tue 3 Mar 2026, 09:00 EST"
    # only the US has moved: GMT and EDT, 4 hours apart
    assert first[date(2026, 3, 10)].starts_at == utc(2026, 3, 10, 14)
    assert show(first[date(2026, 3, 10)].starts_at, NY) == "Tue 10 Mar 2026, 10:00 EDT"
    assert first[date(2026, 3, 24)].starts_at == utc(2026, 3, 24, 14)
    assert show(first[date(2026, 3, 24)].starts_at, NY) == "Tue 24 Mar 2026, 10:00 EDT"
    # both moved: BST and EDT, 5 hours apart again; the coach still starts at 14:00 local
    assert first[date(2026, 3, 31)].starts_at == utc(2026, 3, 31, 13)
    assert show(first[date(2026, 3, 31)].starts_at, NY) == "Tue 31 Mar 2026, 09:00 EDT"
    assert show(first[date(2026, 3, 31)].starts_at, LONDON) == "Tue 31 Mar 2026, 14:00 BST"
    last_of_24 = by_day(slots, NY)[3][1][-1]
    assert last_of_24 == Slot(utc(2026, 3, 24, 16), utc(2026, 3, 24, 17))
    assert show(last_of_24.starts_at, NY) == "Tue 24 Mar 2026, 12:00 EDT"
    assert len(slots) == 6 * 5


def test_spring_us_has_moved_uk_not_coach_in_new_york() -> None:
    # The other way round: coach in New York Tue 09:00-12:00, leader in London.
    r = rules(NY, ((1, time(9), time(12)),), HOUR)
    first = firsts(open_slots(rules=r, now=utc(2026, 3, 1), coach_busy=[]), LONDON)
    assert first[date(2026, 3, 3)].starts_at == utc(2026, 3, 3, 14)
    assert show(first[date(2026, 3, 3)].starts_at, LONDON) == "Tue 3 Mar 2026, 14:00 GMT"
    assert first[date(2026, 3, 17)].starts_at == utc(2026, 3, 17, 13)
    assert show(first[date(2026, 3, 17)].starts_at, LONDON) == "Tue 17 Mar 2026, 13:00 GMT"
    assert first[date(2026, 3, 31)].starts_at == utc(2026, 3, 31, 13)
    assert show(first[date(2026, 3, 31)].starts_at, LONDON) == "Tue 31 Mar 2026, 14:00 BST"


def test_autumn_uk_has_moved_back_us_not() -> None:
    # UK clocks go back 25 Oct 2026, US clocks 1 Nov 2026.
    r = rules(LONDON, ((1, time(14), time(17)),), HOUR)
    slots = open_slots(rules=r, now=utc(2026, 10, 12), coach_busy=[])
    first = firsts(slots, NY)
    assert first[date(2026, 10, 20)].starts_at == utc(2026, 10, 20, 13)
    assert show(first[date(2026, 10, 20)].starts_at, NY) == "Tue 20 Oct 2026, 09:00 EDT"
    assert first[date(2026, 10, 27)].starts_at == utc(2026, 10, 27, 14)
    assert show(first[date(2026, 10, 27)].starts_at, NY) == "Tue 27 Oct 2026, 10:00 EDT"
    assert show(first[date(2026, 10, 27)].starts_at, LONDON) == "Tue 27 Oct 2026, 14:00 GMT"
    assert first[date(2026, 11, 3)].starts_at == utc(2026, 11, 3, 14)
    assert show(first[date(2026, 11, 3)].starts_at, NY) == "Tue 3 Nov 2026, 09:00 EST"


def test_sydney_coach_after_sydney_leaves_dst_and_new_york_has_entered_it() -> None:
    # Sydney leaves DST 5 Apr 2026 (AEDT UTC+11 -> AEST UTC+10); New York is on EDT.
    r = rules("Australia/Sydney", ((0, time(9), time(10)),), HOUR)
    slots = open_slots(rules=r, now=utc(2026, 3, 28), coach_busy=[])
    assert [s.starts_at for s in slots[:2]] == [utc(2026, 3, 29, 22), utc(2026, 4, 5, 23)]
    assert show(slots[0].starts_at, NY) == "Sun 29 Mar 2026, 18:00 EDT"
    assert show(slots[1].starts_at, NY) == "Sun 5 Apr 2026, 19:00 EDT"
    assert show(slots[1].starts_at, "Australia/Sydney") == "Mon 6 Apr 2026, 09:00 AEST"


def wall_times(slots: list[Slot], zone: str) -> list[str]:
    return [show(s.starts_at, zone) for s in slots]


def test_spring_forward_gap_in_the_coach_zone_gives_no_bogus_slots() -> None:
    # London, Sun 29 Mar 2026: 01:00 GMT jumps to 02:00 BST; 01:00-01:59 never happens.
    now = utc(2026, 3, 28, 12)
    r = rules(LONDON, ((6, time(0, 30), time(3)),), HALF)
    slots = open_slots(rules=r, now=now, coach_busy=[])[:3]
    assert [s.starts_at for s in slots] == [
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 1, 30),
    ]
    assert wall_times(slots, LONDON) == [
        "Sun 29 Mar 2026, 00:30 GMT",
        "Sun 29 Mar 2026, 02:00 BST",
        "Sun 29 Mar 2026, 02:30 BST",
    ]
    hour = open_slots(
        rules=rules(LONDON, ((6, time(0, 30), time(3)),), HOUR), now=now, coach_busy=[]
    )
    assert [s.starts_at for s in hour[:2]] == [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1)]
    assert hour[2].starts_at == utc(2026, 4, 5, 0, 30) - HOUR  # next Sunday, 00:30 BST


def test_a_window_inside_the_gap_offers_nothing_and_an_edge_in_it_moves_to_the_change() -> None:
    now = utc(2026, 3, 28, 12)
    until = utc(2026, 3, 30)
    inside = rules(LONDON, ((6, time(1), time(2)),), HALF)
    assert open_slots(rules=inside, now=now, coach_busy=[], not_after=until) == []
    inside = rules(LONDON, ((6, time(1, 15), time(1, 45)),), timedelta(minutes=15))
    assert open_slots(rules=inside, now=now, coach_busy=[], not_after=until) == []
    edge = rules(LONDON, ((6, time(1, 30), time(4)),), HOUR)
    slots = open_slots(rules=edge, now=now, coach_busy=[], not_after=until)
    assert [s.starts_at for s in slots] == [
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 29, 2),
    ]
    assert wall_times(slots, LONDON)[0] == "Sun 29 Mar 2026, 02:00 BST"


def test_spring_forward_gap_in_new_york() -> None:
    # New York, Sun 8 Mar 2026: 02:00 EST jumps to 03:00 EDT.
    r = rules(NY, ((6, time(1), time(4)),), HALF)
    slots = open_slots(rules=r, now=utc(2026, 3, 7), coach_busy=[], not_after=utc(2026, 3, 9))
    assert [s.starts_at for s in slots] == [
        utc(2026, 3, 8, 6),
        utc(2026, 3, 8, 6, 30),
        utc(2026, 3, 8, 7),
        utc(2026, 3, 8, 7, 30),
    ]
    assert wall_times(slots, NY) == [
        "Sun 8 Mar 2026, 01:00 EST",
        "Sun 8 Mar 2026, 01:30 EST",
        "Sun 8 Mar 2026, 03:00 EDT",
        "Sun 8 Mar 2026, 03:30 EDT",
    ]


def test_fall_back_repeated_hour_is_offered_once() -> None:
    # London, Sun 25 Oct 2026: 02:00 BST goes back to 01:00 GMT; 01:00-01:59 happens twice.
    r = rules(LONDON, ((6, time(0), time(3)),), HOUR)
    slots = open_slots(
        rules=r, now=utc(2026, 10, 24, 12), coach_busy=[], not_after=utc(2026, 10, 26)
    )
    assert [s.starts_at for s in slots] == [
        utc(2026, 10, 24, 23),
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 0),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 2),
    ]
    assert wall_times(slots, LONDON) == [
        "Sun 25 Oct 2026, 00:00 BST",
        "Sun 25 Oct 2026, 00:30 BST",
        "Sun 25 Oct 2026, 01:00 BST",
        "Sun 25 Oct 2026, 01:30 BST",
        "Sun 25 Oct 2026, 02:00 GMT",
    ]
    # Saturday evening in New York (still EDT): 19:00, 19:30, 20:00, 20:30, 22:00
    assert by_day(slots, NY) == [(date(2026, 10, 24), slots)]
    assert by_day(slots, LONDON) == [(date(2026, 10, 25), slots)]
    assert show(slots[-1].starts_at, NY) == "Sat 24 Oct 2026, 22:00 EDT"


def test_window_inside_the_repeated_hour_is_not_duplicated() -> None:
    r = rules(LONDON, ((6, time(1), time(2)),), HALF)
    slots = open_slots(
        rules=r, now=utc(2026, 10, 24, 12), coach_busy=[], not_after=utc(2026, 10, 26)
    )
    assert slots == [
        Slot(utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30)),
        Slot(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1)),
    ]
    ny = rules(NY, ((6, time(1), time(2)),), HALF)  # New York goes back on Sun 1 Nov 2026
    slots = open_slots(
        rules=ny, now=utc(2026, 10, 31, 12), coach_busy=[], not_after=utc(2026, 11, 2)
    )
    assert wall_times(slots, NY) == ["Sun 1 Nov 2026, 01:00 EDT", "Sun 1 Nov 2026, 01:30 EDT"]
    assert [s.starts_at for s in slots] == [utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30)]


def test_window_edge_inside_the_repeated_hour_keeps_to_its_wall_times() -> None:
    # Window 01:15-02:00 London on Sun 25 Oct 2026 covers 00:15-01:00Z (first pass, BST) and
    # 01:15-02:00Z (second pass, GMT), but not 01:00-01:15Z, which shows 01:00-01:14 GMT.
    r = SlotRules(
        zone=LONDON,
        windows=((6, time(1, 15), time(2)),),
        length=HALF,
        buffer=timedelta(0),
        min_notice=timedelta(0),
        horizon=timedelta(days=2),
        step=timedelta(minutes=15),
    )
    slots = open_slots(rules=r, now=utc(2026, 10, 24, 12), coach_busy=[])
    assert [s.starts_at for s in slots] == [utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 30)]
    # 01:45 BST (00:45Z) would run into 01:00-01:15Z; 01:45 GMT would end after 02:00 GMT


def test_repeated_hour_offers_the_second_pass_when_the_first_is_busy() -> None:
    r = rules(LONDON, ((6, time(0), time(3)),), HOUR)
    busy = [(utc(2026, 10, 25, 0), utc(2026, 10, 25, 1))]  # 01:00-02:00 BST, the first pass
    slots = open_slots(
        rules=r, now=utc(2026, 10, 24, 12), coach_busy=busy, not_after=utc(2026, 10, 26)
    )
    assert [s.starts_at for s in slots] == [
        utc(2026, 10, 24, 23),
        utc(2026, 10, 25, 1),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 25, 2),
    ]
    assert wall_times(slots, LONDON) == [
        "Sun 25 Oct 2026, 00:00 BST",
        "Sun 25 Oct 2026, 01:00 GMT",
        "Sun 25 Oct 2026, 01:30 GMT",
        "Sun 25 Oct 2026, 02:00 GMT",
    ]
