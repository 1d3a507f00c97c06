"""Property tests: offered slots never meet busy time and always lie inside availability."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.booking.model import Interval, Slot
from bot.booking.slots import SlotRules, open_slots

ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kolkata",
    "Pacific/Chatham",  # UTC+12:45 / +13:45
    "America/Santiago",
    "America/St_Johns",
]
# days near a DST change somewhere (and a plain one)
ANCHORS = [
    datetime(2026, 3, 5, tzinfo=UTC),
    datetime(2026, 3, 26, tzinfo=UTC),
    datetime(2026, 4, 2, tzinfo=UTC),
    datetime(2026, 9, 1, tzinfo=UTC),
    datetime(2026, 9, 24, tzinfo=UTC),
    datetime(2026, 10, 22, tzinfo=UTC),
    datetime(2026, 10, 29, tzinfo=UTC),
    datetime(2026, 11, 24, tzinfo=UTC),
]
QUARTER = timedelta(minutes=15)


# zones on the day they change clocks (2026): spring forward and fall back
CHANGES = [
    ("Europe/London", date(2026, 3, 29)),
    ("Europe/London", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Australia/Sydney", date(2026, 4, 5)),
    ("Australia/Sydney", date(2026, 10, 4)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
    ("America/Santiago", date(2026, 4, 5)),
    ("America/Santiago", date(2026, 9, 6)),
]


@st.composite
def windows(
    draw: st.DrawFn, last: int = 95, weekday: int | None = None
) -> tuple[tuple[int, time, time], ...]:
    found = []
    for _ in range(draw(st.integers(1, 8))):
        start = draw(st.integers(0, last - 1))
        end = draw(st.integers(start + 1, last))
        day = draw(st.integers(0, 6)) if weekday is None else weekday
        found.append((day, _quarter(start), _quarter(end)))
    return tuple(found)


def _quarter(k: int) -> time:
    return time(k // 4, (k % 4) * 15)


@st.composite
def spans(draw: st.DrawFn, around: datetime) -> list[Interval]:
    found = []
    for _ in range(draw(st.integers(0, 12))):
        start = around + timedelta(minutes=draw(st.integers(-600, 60 * 24 * 9)))
        found.append((start, start + timedelta(minutes=draw(st.integers(1, 300)))))
    return found


@st.composite
def cases(
    draw: st.DrawFn, near_changes: bool = False
) -> tuple[SlotRules, datetime, list[Interval], list[Interval]]:
    if near_changes:  # windows in the small hours of the day a zone changes its clocks
        zone, day = draw(st.sampled_from(CHANGES))
        midnight = datetime.combine(day, time(0), tzinfo=UTC)
        now = midnight - timedelta(hours=draw(st.integers(14, 40)))
        found = draw(windows(last=5 * 4, weekday=day.weekday()))
    else:
        zone = draw(st.sampled_from(ZONES))
        now = draw(st.sampled_from(ANCHORS)) + timedelta(minutes=draw(st.integers(0, 4320)))
        found = draw(windows())
    rules = SlotRules(
        zone=zone,
        windows=found,
        length=QUARTER * draw(st.integers(1, 8)),
        buffer=timedelta(minutes=draw(st.sampled_from([0, 5, 15, 30]))),
        min_notice=timedelta(hours=draw(st.integers(0, 48))),
        horizon=timedelta(days=draw(st.integers(1, 8))),
        step=QUARTER * draw(st.integers(1, 4)),
    )
    return rules, now, draw(spans(now)), draw(spans(now))


def _in_windows(rules: SlotRules, slot: Slot) -> bool:
    """Every quarter-hour of the slot, and its last instant, is inside one local window."""
    zone = ZoneInfo(rules.zone)
    day = slot.starts_at.astimezone(zone).date()
    points = [slot.starts_at + k * QUARTER for k in range(slot.length // QUARTER)]
    points.append(slot.ends_at - timedelta(microseconds=1))
    for point in points:
        here = point.astimezone(zone)
        if here.date() != day:
            return False
        wall = here.time()
        if not any(w == day.weekday() and start <= wall < end for w, start, end in rules.windows):
            return False
    return True


@settings(max_examples=250, deadline=None)
@given(st.one_of(cases(), cases(near_changes=True)))
def test_offered_slots_respect_every_rule(
    case: tuple[SlotRules, datetime, list[Interval], list[Interval]],
) -> None:
    rules, now, coach_busy, leader_busy = case
    slots = open_slots(rules=rules, now=now, coach_busy=coach_busy, leader_busy=leader_busy)
    assert slots == sorted(set(slots))
    zone = ZoneInfo(rules.zone)
    walls = [s.starts_at.astimezone(zone).replace(tzinfo=None) for s in slots]
    assert len(walls) == len(set(walls)), "a wall time offered twice (repeated hour)"
    for slot in slots:
        assert slot.length == rules.length
        assert slot.starts_at >= now + rules.min_notice
        assert slot.ends_at <= now + rules.horizon
        for start, end in coach_busy:
            assert not slot.overlaps(start - rules.buffer, end + rules.buffer)
        for start, end in leader_busy:
            assert not slot.overlaps(start, end)
        assert _in_windows(rules, slot)


FALL_BACK_CASE = (
    SlotRules(
        zone="America/New_York",
        windows=((6, time(0, 0), time(1, 15)),),
        length=timedelta(minutes=15),
        buffer=timedelta(0),
        min_notice=timedelta(0),
        horizon=timedelta(days=1),
        step=timedelta(minutes=15),
    ),
    datetime(2026, 10, 31, 10, 0, tzinfo=UTC),
    [],
    [(datetime(2026, 11, 1, 0, 1, tzinfo=UTC), datetime(2026, 11, 1, 5, 1, tzinfo=UTC))],
)
"""Found by Hypothesis: the leader is busy through 01:01 EDT, so 01:00 is offered at 01:00 EST."""


@settings(max_examples=100, deadline=None)
@given(st.one_of(cases(), cases(near_changes=True)))
@example(FALL_BACK_CASE)
def test_busy_time_only_removes_slots(
    case: tuple[SlotRules, datetime, list[Interval], list[Interval]],
) -> None:
    rules, now, coach_busy, leader_busy = case
    free = set(open_slots(rules=rules, now=now, coach_busy=[]))
    busy = open_slots(rules=rules, now=now, coach_busy=coach_busy, leader_busy=leader_busy)
    zone = ZoneInfo(rules.zone)

    def wall(slot: Slot) -> datetime:
        return slot.starts_at.astimezone(zone).replace(tzinfo=None)

    free_walls = {wall(slot) for slot in free}
    for slot in busy:
        # In a repeated (fall-back) hour a wall time is offered once: when its first pass is
        # busy, its second pass may stand in. Busy time never adds a wall time.
        assert slot in free or wall(slot) in free_walls
    # a free slot that meets no busy span is still offered
    for slot in free:
        clear = not any(
            slot.overlaps(s - rules.buffer, e + rules.buffer) for s, e in coach_busy
        ) and not any(slot.overlaps(s, e) for s, e in leader_busy)
        assert (slot in busy) == clear
