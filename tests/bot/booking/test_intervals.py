"""Interval arithmetic: merge, widen, subtract, clip, covers (hand-worked cases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.booking.intervals import clip, covers, merge, subtract, widen


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1, hour, minute, tzinfo=UTC)


def test_merge_joins_overlapping_and_touching_spans_and_drops_empty() -> None:
    spans = [(at(12), at(15)), (at(9), at(12)), (at(16), at(16)), (at(14), at(15, 30))]
    assert merge(spans) == [(at(9), at(15, 30))]
    assert merge([(at(9), at(10)), (at(10, 1), at(11))]) == [
        (at(9), at(10)),
        (at(10, 1), at(11)),
    ]
    assert merge([]) == []


def test_widen_adds_the_buffer_on_both_sides_and_merges() -> None:
    spans = [(at(10), at(11)), (at(11, 30), at(12))]
    assert widen(spans, timedelta(minutes=15)) == [(at(9, 45), at(12, 15))]
    assert widen(spans, timedelta(minutes=10)) == [
        (at(9, 50), at(11, 10)),
        (at(11, 20), at(12, 10)),
    ]


def test_subtract_cuts_busy_out_of_free() -> None:
    free = [(at(9), at(12)), (at(13), at(17))]
    busy = [(at(8), at(9, 30)), (at(10), at(10, 30)), (at(11, 30), at(13, 30)), (at(16), at(18))]
    assert subtract(free, busy) == [
        (at(9, 30), at(10)),
        (at(10, 30), at(11, 30)),
        (at(13, 30), at(16)),
    ]
    assert subtract(free, []) == free
    assert subtract([], busy) == []
    assert subtract([(at(9), at(10))], [(at(9), at(10))]) == []


def test_clip_and_covers() -> None:
    spans = [(at(9), at(12)), (at(13), at(17))]
    assert clip(spans, (at(10), at(14))) == [(at(10), at(12)), (at(13), at(14))]
    assert covers(spans, (at(9), at(12)))
    assert covers(spans, (at(16), at(17)))
    assert not covers(spans, (at(11, 30), at(13, 30)))
    assert not covers(spans, (at(8), at(9, 30)))
    assert not covers([], (at(9), at(10)))
