"""No double booking under concurrency: separate transactions race; exactly one wins.

On PostgreSQL the exclusion constraints decide (the direct-insert tests prove they hold on
their own, without the service's checks); on SQLite BEGIN IMMEDIATE serialises the writers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Literal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.booking.errors import BookingError, GroupFull
from bot.booking.model import Slot
from bot.booking.service import book, create_group, join_group, reschedule
from storage.db import Database
from storage.models import Booking, BookingSeat, Programme
from tests.bot.booking.service_world import NOW, Ids, at, build, engagement, person

RACERS = 50


async def _attempt(
    db: Database,
    engagement_id: int,
    slot: Slot,
    coach_id: int | None = None,
    kind: Literal["session", "chemistry"] = "session",
) -> str:
    try:
        async with db.transaction() as s:
            coach = await person(s, coach_id) if coach_id is not None else None
            await book(
                db=s,
                engagement=await engagement(s, engagement_id),
                slot=slot,
                now=NOW,
                coach=coach,
                kind=kind,
            )
    except BookingError as err:
        return type(err).__name__
    return "ok"


async def _own_coach_or_chemistry(db: Database, ids: Ids, n: int) -> str:
    """One leader: a 09:30 session with their coach, or a 10:00 chemistry call with another."""
    if n % 2:
        return await _attempt(
            db, ids.engagements[0], at(10, minutes=20), ids.coaches[1], kind="chemistry"
        )
    return await _attempt(db, ids.engagements[0], at(9, 30), ids.coaches[0])


async def _live(db: Database) -> tuple[int, int]:
    async with db.reading() as s:
        bookings = await s.scalar(
            select(func.count()).select_from(Booking).where(Booking.status == "confirmed")
        )
        seats = await s.scalar(
            select(func.count()).select_from(BookingSeat).where(BookingSeat.status == "confirmed")
        )
    return int(bookings or 0), int(seats or 0)


async def test_fifty_leaders_on_the_same_slot(db: Database) -> None:
    ids = await build(db, leaders=RACERS)
    results = await asyncio.gather(*(_attempt(db, e, at(9)) for e in ids.engagements))
    assert Counter(results) == {"ok": 1, "SlotTaken": RACERS - 1}
    assert await _live(db) == (1, 1)


async def test_fifty_leaders_on_overlapping_slots(db: Database) -> None:
    ids = await build(db, leaders=RACERS)
    slots = [at(9), at(9, 30)]
    results = await asyncio.gather(
        *(_attempt(db, e, slots[n % 2]) for n, e in enumerate(ids.engagements))
    )
    assert Counter(results) == {"ok": 1, "SlotTaken": RACERS - 1}
    assert await _live(db) == (1, 1)


async def test_one_leader_racing_two_coaches(db: Database) -> None:
    ids = await build(db, coaches=2)
    results = await asyncio.gather(*(_own_coach_or_chemistry(db, ids, n) for n in range(10)))
    assert results.count("ok") == 1
    assert set(results) - {"ok"} <= {"LeaderBusy", "SlotTaken"}
    assert await _live(db) == (1, 1)


async def test_twenty_joins_never_exceed_capacity(db: Database) -> None:
    ids = await build(db, leaders=20)
    async with db.transaction() as s:
        programme = await s.get(Programme, ids.programme)
        assert programme is not None
        group = await create_group(
            db=s,
            coach=await person(s, ids.coach),
            programme=programme,
            cohort=None,
            starts_at=at(9).starts_at,
            minutes=90,
            capacity=7,
            title="Feedback that lands",
            now=NOW,
        )
        group_id = group.id

    async def join(engagement_id: int) -> str:
        try:
            async with db.transaction() as s:
                b = await s.get(Booking, group_id)
                assert b is not None
                await join_group(
                    db=s, booking=b, engagement=await engagement(s, engagement_id), now=NOW
                )
        except GroupFull:
            return "full"
        return "ok"

    results = await asyncio.gather(*(join(e) for e in ids.engagements))
    assert Counter(results) == {"ok": 7, "full": 13}
    async with db.reading() as s:
        b = await s.get(Booking, group_id)
        assert b is not None and b.seats_taken == 7
        seats = await s.scalar(
            select(func.count()).select_from(BookingSeat).where(BookingSeat.booking_id == group_id)
        )
    assert seats == 7


def _row(
    ids_coach: int, slot: Slot, uid: str, status: str = "confirmed", leader: int | None = None
) -> Booking:
    return Booking(
        coach_id=ids_coach,
        leader_id=leader,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=status,
        capacity=1,
        seats_taken=1,
        ics_uid=uid,
        created_at=NOW,
        updated_at=NOW,
    )


async def test_postgres_refuses_an_overlapping_booking_by_itself(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on BEGIN IMMEDIATE")
    ids = await build(db)
    async with db.transaction() as s:
        s.add(_row(ids.coach, at(9), "a"))
        s.add(_row(ids.coach, at(8, 30), "cancelled", status="cancelled"))  # does not block
    with pytest.raises(IntegrityError) as err:
        async with db.transaction() as s:
            s.add(_row(ids.coach, at(9, 30), "b"))
    assert "ex_bookings_coach_overlap" in str(err.value)
    async with db.transaction() as s:  # back to back is fine: ranges are half-open
        s.add(_row(ids.coach, at(10), "c"))
        s.add(_row(ids.coaches[0], at(9, 30), "d", status="cancelled"))


async def test_postgres_refuses_an_overlapping_seat_by_itself(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on BEGIN IMMEDIATE")
    ids = await build(db, coaches=2)
    leader = ids.leaders[0]

    def seat(slot: Slot, status: str = "confirmed") -> BookingSeat:
        return BookingSeat(
            leader_id=leader,
            status=status,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            created_at=NOW,
            updated_at=NOW,
        )

    async with db.transaction() as s:
        first = _row(ids.coaches[0], at(9), "a", leader=leader)
        first.seats.append(seat(at(9)))
        gone = _row(ids.coaches[1], at(9, 30), "x", leader=leader, status="cancelled")
        gone.seats.append(seat(at(9, 30), status="cancelled"))
        s.add_all([first, gone])
    with pytest.raises(IntegrityError) as err:
        async with db.transaction() as s:
            other = _row(ids.coaches[1], at(9, 30), "b", leader=leader)
            other.seats.append(seat(at(9, 30)))
            s.add(other)
    assert "ex_booking_seats_leader_overlap" in str(err.value)


@pytest.fixture
def blind(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the service's own overlap checks off: only the database can refuse."""
    if not db.is_postgres:
        pytest.skip("on SQLite the checks are what BEGIN IMMEDIATE serialises")
    from bot.booking import availability, changes

    async def always(**_: object) -> bool:
        return True

    async def never(*_: object, **__: object) -> bool:
        return False

    monkeypatch.setattr(availability, "is_open", always)
    monkeypatch.setattr(changes, "leader_busy", never)
    monkeypatch.setattr(changes, "coach_taken", never)


@pytest.mark.usefixtures("blind")
async def test_postgres_constraint_alone_keeps_the_coach_single_booked(db: Database) -> None:
    ids = await build(db, leaders=RACERS)
    slots = [at(9), at(9, 30)]
    results = await asyncio.gather(
        *(_attempt(db, e, slots[n % 2]) for n, e in enumerate(ids.engagements))
    )
    assert Counter(results) == {"ok": 1, "SlotTaken": RACERS - 1}
    assert await _live(db) == (1, 1)


@pytest.mark.usefixtures("blind")
async def test_postgres_constraint_alone_keeps_the_leader_single_booked(db: Database) -> None:
    ids = await build(db, coaches=2)
    results = await asyncio.gather(*(_own_coach_or_chemistry(db, ids, n) for n in range(10)))
    assert results.count("ok") == 1
    assert "LeaderBusy" in results  # the seat constraint's refusal, named for the leader
    assert set(results) <= {"ok", "LeaderBusy", "SlotTaken"}
    assert await _live(db) == (1, 1)


async def test_moves_and_new_bookings_racing_for_one_slot(db: Database) -> None:
    ids = await build(db, leaders=20)
    movers = ids.engagements[:10]
    booking_ids = {}
    for n, eid in enumerate(movers):  # each mover holds a session on another day
        async with db.transaction() as s:
            out = await book(
                db=s,
                engagement=await engagement(s, eid),
                slot=at(24 * (1 + n // 5) + 8 + 2 * (n % 5)),
                now=NOW,
            )
            booking_ids[eid] = out.booking.id

    async def move(eid: int) -> str:
        try:
            async with db.transaction() as s:
                b = await s.get(Booking, booking_ids[eid])
                assert b is not None
                leader = await person(s, b.leader_id or 0)
                await reschedule(db=s, booking=b, by=leader, slot=at(9), now=NOW)
        except BookingError as err:
            return type(err).__name__
        return "ok"

    results = await asyncio.gather(
        *(move(e) for e in movers), *(_attempt(db, e, at(9, 30)) for e in ids.engagements[10:])
    )
    assert results.count("ok") == 1
    assert set(results) <= {"ok", "SlotTaken"}
    assert await _live(db) == (10 + results[10:].count("ok"), 10 + results[10:].count("ok"))
    async with db.reading() as s:
        on_day = await s.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.starts_at < at(10, 30).starts_at, Booking.ends_at > at(9).starts_at)
        )
    assert on_day == 1
