"""reschedule() and cancel(): same calendar UID, rising sequence, who may, what counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.booking.allowance import sessions_used
from bot.booking.errors import (
    BookingError,
    NotLive,
    NotYours,
    SlotTaken,
    TooLateToMove,
)
from bot.booking.model import CHEMISTRY_MINUTES
from bot.booking.service import book, cancel, reschedule
from storage.db import Database
from storage.models import BookingSeat, OutboxMessage
from tests.bot.booking.service_world import (
    NOW,
    Ids,
    at,
    booking,
    build,
    counts,
    engagement,
    person,
)

LATE = at(9).starts_at - timedelta(hours=3)  # inside the 24-hour late-cancel window


async def _booked(db: Database, ids: Ids, n: int = 0, hour: int = 9) -> int:
    async with db.transaction() as s:
        out = await book(
            db=s, engagement=await engagement(s, ids.engagements[n]), slot=at(hour), now=NOW
        )
        return out.booking.id


async def _used(db: Database, ids: Ids, n: int = 0) -> int:
    async with db.reading() as s:
        return await sessions_used(db=s, engagement=await engagement(s, ids.engagements[n]))


async def test_reschedule_keeps_the_uid_and_bumps_the_sequence(db: Database) -> None:
    ids = await build(db)
    bid = await _booked(db, ids)
    later = NOW + timedelta(hours=1)
    async with db.transaction() as s:
        b = await booking(s, bid)
        uid = b.ics_uid
        out = await reschedule(
            db=s, booking=b, by=await person(s, ids.leaders[0]), slot=at(9, 30), now=later
        )
        assert out.booking.id == bid and out.booking.ics_uid == uid
        assert out.booking.sequence == 1 and out.booking.updated_at == later
        assert (out.booking.starts_at, out.booking.ends_at) == (
            at(9, 30).starts_at,
            at(9, 30).ends_at,
        )
        assert [(x.starts_at, x.updated_at) for x in out.booking.seats] == [
            (at(9, 30).starts_at, later)
        ]
        assert out.notice is not None
    async with db.transaction() as s:
        b = await booking(s, bid)
        out = await reschedule(
            db=s, booking=b, by=await person(s, ids.leaders[0]), slot=at(14), now=later
        )
        assert out.booking.sequence == 2 and out.booking.ics_uid == uid
    async with db.reading() as s:
        keys = (await s.scalars(select(OutboxMessage.dedupe_key).order_by(OutboxMessage.id))).all()
    assert keys == [
        f"booking:{bid}:0:booked:{ids.coach}",
        f"booking:{bid}:1:rescheduled:{ids.coach}",
        f"booking:{bid}:2:rescheduled:{ids.coach}",
    ]
    assert await _used(db, ids) == 1


async def _refused_move(
    db: Database, ids: Ids, bid: int, by: int, hour: int, now: datetime = NOW
) -> BookingError:
    before = await counts(db)
    with pytest.raises(BookingError) as err:
        async with db.transaction() as s:
            await reschedule(
                db=s, booking=await booking(s, bid), by=await person(s, by), slot=at(hour), now=now
            )
    assert await counts(db) == before
    async with db.reading() as s:
        b = await booking(s, bid)
        assert b.starts_at == at(9).starts_at and b.sequence == (b.status != "confirmed")
    return err.value


async def test_who_when_and_where_a_session_can_move(db: Database) -> None:
    ids = await build(db, leaders=2)
    bid = await _booked(db, ids)
    await _booked(db, ids, n=1, hour=14)
    assert isinstance(await _refused_move(db, ids, bid, ids.leaders[1], 11), NotYours)
    assert isinstance(await _refused_move(db, ids, bid, ids.coach, 11), NotYours)
    assert isinstance(await _refused_move(db, ids, bid, ids.leaders[0], 14), SlotTaken)
    late = await _refused_move(db, ids, bid, ids.leaders[0], 11, now=LATE)
    assert isinstance(late, TooLateToMove) and late.values == {"hours": 24}
    async with db.transaction() as s:
        await cancel(
            db=s, booking=await booking(s, bid), by=await person(s, ids.leaders[0]), now=NOW
        )
    assert isinstance(await _refused_move(db, ids, bid, ids.leaders[0], 11), NotLive)


async def test_early_cancel_gives_the_session_back(db: Database) -> None:
    ids = await build(db)
    bid = await _booked(db, ids)
    assert await _used(db, ids) == 1
    async with db.transaction() as s:
        leader = await person(s, ids.leaders[0])
        out = await cancel(db=s, booking=await booking(s, bid), by=leader, now=NOW)
        b = out.booking
        assert (b.status, b.sequence, b.seats_taken, b.cancelled_at, b.cancelled_by_id) == (
            "cancelled",
            1,
            0,
            NOW,
            ids.leaders[0],
        )
        assert [x.status for x in b.seats] == ["cancelled"]
        assert out.notice is not None
    assert await _used(db, ids) == 0
    with pytest.raises(NotLive):
        async with db.transaction() as s:
            await cancel(
                db=s, booking=await booking(s, bid), by=await person(s, ids.leaders[0]), now=NOW
            )


async def test_late_cancel_counts_as_used(db: Database) -> None:
    ids = await build(db)
    bid = await _booked(db, ids)
    async with db.transaction() as s:
        out = await cancel(
            db=s, booking=await booking(s, bid), by=await person(s, ids.leaders[0]), now=LATE
        )
        assert out.booking.status == "late_cancelled"
        assert [x.status for x in out.booking.seats] == ["late_cancelled"]
    assert await _used(db, ids) == 1


async def test_late_cancel_waived_or_by_the_coach_does_not_count(db: Database) -> None:
    ids = await build(db, leaders=2)
    first = await _booked(db, ids)
    second = await _booked(db, ids, n=1, hour=14)
    async with db.transaction() as s:
        leader = await person(s, ids.leaders[0])
        out = await cancel(
            db=s, booking=await booking(s, first), by=leader, now=LATE, waive_late=True
        )
        assert out.booking.status == "cancelled"
    async with db.transaction() as s:
        coach = await person(s, ids.coach)
        out = await cancel(db=s, booking=await booking(s, second), by=coach, now=LATE)
        assert (out.booking.status, out.booking.cancelled_by_id) == ("cancelled", ids.coach)
        assert [x.status for x in out.booking.seats] == ["cancelled"]
    assert await _used(db, ids, 0) == 0
    assert await _used(db, ids, 1) == 0
    async with db.reading() as s:  # the coach's cancel told the leader (with the ICS CANCEL)
        to_leader = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == ids.leaders[1]))
        ).all()
    assert [r.dedupe_key for r in to_leader] == [f"booking:{second}:1:cancelled:{ids.leaders[1]}"]


async def test_late_cancel_of_a_chemistry_call_is_free(db: Database) -> None:
    ids = await build(db, coaches=2)
    async with db.transaction() as s:
        out = await book(
            db=s,
            engagement=await engagement(s, ids.engagements[0]),
            slot=at(9, minutes=CHEMISTRY_MINUTES),
            now=NOW,
            kind="chemistry",
            coach=await person(s, ids.coaches[1]),
        )
        bid = out.booking.id
    async with db.transaction() as s:
        out = await cancel(
            db=s, booking=await booking(s, bid), by=await person(s, ids.leaders[0]), now=LATE
        )
        assert out.booking.status == "cancelled"


async def test_a_stranger_cannot_cancel_and_a_cancelled_slot_is_free_again(db: Database) -> None:
    ids = await build(db, leaders=2)
    bid = await _booked(db, ids)
    before = await counts(db)
    with pytest.raises(NotYours):
        async with db.transaction() as s:
            await cancel(
                db=s, booking=await booking(s, bid), by=await person(s, ids.leaders[1]), now=NOW
            )
    assert await counts(db) == before
    async with db.transaction() as s:
        await cancel(
            db=s, booking=await booking(s, bid), by=await person(s, ids.leaders[0]), now=NOW
        )
    again = await _booked(db, ids, n=1)
    async with db.reading() as s:
        seats = (await s.scalars(select(BookingSeat).order_by(BookingSeat.id))).all()
    assert [(x.booking_id, x.status) for x in seats] == [(bid, "cancelled"), (again, "confirmed")]


async def test_a_session_that_is_over_cannot_be_cancelled(db: Database) -> None:
    ids = await build(db)
    bid = await _booked(db, ids)
    with pytest.raises(NotLive):
        async with db.transaction() as s:
            b = await booking(s, bid)
            await cancel(db=s, booking=b, by=await person(s, ids.leaders[0]), now=at(10).starts_at)
