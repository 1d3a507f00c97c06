"""Sessions used and left, and the late-cancel window."""

from __future__ import annotations

from datetime import timedelta

from bot.booking.allowance import is_late, sessions_left, sessions_used
from bot.booking.changes import new_uid
from bot.booking.model import Slot
from storage.db import Database
from storage.models import Booking, BookingSeat, Programme
from tests.bot.booking.service_world import NOW, at, build, engagement


def _booking(ids_coach: int, leader: int, eid: int, slot: Slot, kind: str, status: str) -> Booking:
    booking = Booking(
        kind=kind,
        status=status,
        coach_id=ids_coach,
        leader_id=leader if kind != "group" else None,
        engagement_id=eid if kind != "group" else None,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=1 if kind != "group" else 5,
        seats_taken=1 if status == "confirmed" else 0,
        ics_uid=new_uid(),
        created_at=NOW,
        updated_at=NOW,
    )
    booking.seats.append(
        BookingSeat(
            leader_id=leader,
            engagement_id=eid,
            status=status if status != "held" else "confirmed",
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    return booking


async def test_counts_booked_late_cancelled_and_missed_sessions_only(db: Database) -> None:
    ids = await build(db, sessions=6)
    leader, eid = ids.leaders[0], ids.engagements[0]
    rows = [
        ("session", "confirmed"),
        ("session", "late_cancelled"),
        ("session", "no_show"),
        ("session", "cancelled"),  # an early cancel gives the session back
        ("chemistry", "confirmed"),  # chemistry calls are free
        ("group", "confirmed"),  # so are group sessions
    ]
    async with db.transaction() as s:
        for n, (kind, status) in enumerate(rows):
            s.add(_booking(ids.coach, leader, eid, at(8 + n), kind, status))
    async with db.reading() as s:
        e = await engagement(s, eid)
        assert await sessions_used(db=s, engagement=e) == 3
        assert await sessions_left(db=s, engagement=e) == 3


async def test_sessions_left_never_goes_below_zero(db: Database) -> None:
    ids = await build(db, sessions=1)
    async with db.transaction() as s:
        for n in range(3):
            s.add(
                _booking(
                    ids.coach, ids.leaders[0], ids.engagements[0], at(8 + n), "session", "no_show"
                )
            )
    async with db.reading() as s:
        e = await engagement(s, ids.engagements[0])
        assert await sessions_used(db=s, engagement=e) == 3
        assert await sessions_left(db=s, engagement=e) == 0


async def test_another_engagement_does_not_count(db: Database) -> None:
    ids = await build(db, leaders=2)
    async with db.transaction() as s:
        s.add(
            _booking(ids.coach, ids.leaders[1], ids.engagements[1], at(9), "session", "confirmed")
        )
    async with db.reading() as s:
        assert await sessions_used(db=s, engagement=await engagement(s, ids.engagements[0])) == 0


def test_late_window_is_strictly_inside_the_hours_before_the_start() -> None:
    programme = Programme(late_cancel_hours=24)
    slot = at(9)
    booking = Booking(starts_at=slot.starts_at, ends_at=slot.ends_at)
    start = slot.starts_at
    assert not is_late(booking=booking, programme=programme, now=start - timedelta(hours=25))
    assert not is_late(booking=booking, programme=programme, now=start - timedelta(hours=24))
    assert is_late(
        booking=booking, programme=programme, now=start - timedelta(hours=24) + timedelta(seconds=1)
    )
    assert is_late(booking=booking, programme=programme, now=start + timedelta(minutes=5))
    none = Programme(late_cancel_hours=0)
    assert not is_late(booking=booking, programme=none, now=start - timedelta(minutes=1))
