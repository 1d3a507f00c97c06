"""slots_for / is_open against the database (SQLite and PostgreSQL), hand-worked expectations.

The world (tests/factories.py): coach Ana Ruiz in Europe/Madrid (CET = UTC+1 in December) with
one window, Tuesday 09:00-12:00 local = 08:00-11:00Z; buffer 15 min, notice 24 h; leader Sam
Lee in America/New_York; programme 60-minute sessions, 28-day horizon; now = Tue 24 Nov 10:00Z.
So the offered Tuesdays are 1, 8 and 15 Dec (08:00 .. 10:00Z) and 22 Dec up to 09:00Z (the
horizon ends 22 Dec 10:00Z).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.availability import is_open, slots_for
from bot.booking.errors import ZoneMissing
from bot.booking.model import Slot
from bot.booking.slots import by_day
from bot.timefmt import show
from storage.db import Database
from storage.models import AvailabilityWindow, Booking, BookingSeat, CoachBusy, Person
from tests.factories import T0, World, add_booking, make_world

HOUR = timedelta(hours=1)
FULL_DAY = [(8, 0), (8, 30), (9, 0), (9, 30), (10, 0)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def tuesday(day: int, times: list[tuple[int, int]] = FULL_DAY) -> list[datetime]:
    return [utc(2026, 12, day, h, m) for h, m in times]


ALL = tuesday(1) + tuesday(8) + tuesday(15) + tuesday(22, [(8, 0), (8, 30), (9, 0)])


async def starts(s: AsyncSession, w: World, **kwargs: object) -> list[datetime]:
    slots = await slots_for(
        db=s, coach=w.coach, leader=w.leader, programme=w.programme, now=T0, **kwargs
    )
    return [slot.starts_at for slot in slots]


def seat(s: AsyncSession, booking: Booking, leader: Person, status: str = "confirmed") -> None:
    s.add(
        BookingSeat(
            booking=booking,
            leader_id=leader.id,
            status=status,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            created_at=T0,
            updated_at=T0,
        )
    )


async def other_coach(s: AsyncSession, w: World) -> Person:
    coach = Person(
        organisation_id=w.org.id,
        email="other@example.com",
        name="Bo Chen",
        role="coach",
        timezone="Europe/London",
        created_at=T0,
        updated_at=T0,
    )
    s.add(coach)
    await s.flush()
    return coach


async def test_slots_follow_the_coach_window_in_the_coach_zone(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        slots = await slots_for(db=s, coach=w.coach, leader=w.leader, programme=w.programme, now=T0)
        assert [x.starts_at for x in slots] == ALL
        assert all(x.length == HOUR for x in slots)
        days = by_day(slots, w.leader.timezone)
        assert [d for d, _ in days] == [date(2026, 12, d) for d in (1, 8, 15, 22)]
        assert show(days[0][1][0].starts_at, w.leader.timezone) == "Tue 1 Dec 2026, 03:00 EST"


async def test_coach_bookings_block_with_their_buffer(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        add_booking(s, w, utc(2026, 12, 1, 8))  # 08:00-09:00 (and the seat), buffer to 09:15
        cancelled = add_booking(s, w, utc(2026, 12, 8, 9), uid="uid-2")
        cancelled.status = cancelled.seats[0].status = "cancelled"
        got = await starts(s, w)
        assert got == tuesday(1, [(9, 30), (10, 0)]) + ALL[5:]


async def test_coach_busy_rows_block_with_the_buffer_and_other_coaches_do_not(
    db: Database,
) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        bo = await other_coach(s, w)
        s.add_all(
            [
                # 09:00-09:30 plus 15 minutes each side blocks 08:45-09:45
                CoachBusy(
                    coach_id=w.coach.id,
                    source="calendar",
                    starts_at=utc(2026, 12, 15, 9),
                    ends_at=utc(2026, 12, 15, 9, 30),
                    created_at=T0,
                ),
                CoachBusy(
                    coach_id=w.coach.id,
                    source="away",
                    starts_at=utc(2026, 12, 7),
                    ends_at=utc(2026, 12, 9),
                    created_at=T0,
                ),
                CoachBusy(
                    coach_id=bo.id,
                    source="away",
                    starts_at=utc(2026, 11, 25),
                    ends_at=utc(2026, 12, 31),
                    created_at=T0,
                ),
            ]
        )
        got = await starts(s, w)
        assert got == tuesday(1) + tuesday(15, [(10, 0)]) + ALL[15:]


async def test_the_leaders_own_seats_block_without_buffer(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        bo = await other_coach(s, w)
        taken = Booking(
            leader_id=w.leader.id,
            coach_id=bo.id,
            starts_at=utc(2026, 12, 1, 9),
            ends_at=utc(2026, 12, 1, 10),
            ics_uid="bo-1",
            created_at=T0,
            updated_at=T0,
        )
        gone = Booking(
            leader_id=w.leader.id,
            coach_id=bo.id,
            status="cancelled",
            starts_at=utc(2026, 12, 8, 9),
            ends_at=utc(2026, 12, 8, 10),
            ics_uid="bo-2",
            created_at=T0,
            updated_at=T0,
        )
        s.add_all([taken, gone])
        seat(s, taken, w.leader)
        seat(s, gone, w.leader, status="cancelled")
        got = await starts(s, w)
        assert got == tuesday(1, [(8, 0), (10, 0)]) + ALL[5:]


async def test_the_booking_being_moved_is_ignored(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        moving = add_booking(s, w, utc(2026, 12, 1, 8))  # with the leader's seat
        await s.flush()
        assert await starts(s, w) == tuesday(1, [(9, 30), (10, 0)]) + ALL[5:]
        assert await starts(s, w, ignore_booking_id=moving.id) == ALL
        slot = Slot(utc(2026, 12, 1, 8, 30), utc(2026, 12, 1, 9, 30))
        people = {"coach": w.coach, "leader": w.leader}
        assert not await is_open(db=s, **people, programme=w.programme, slot=slot, now=T0)
        assert await is_open(
            db=s, **people, programme=w.programme, slot=slot, now=T0, ignore_booking_id=moving.id
        )


async def test_horizon_and_programme_end_in_the_leaders_zone(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        w.programme.booking_horizon_days = 7  # ends Tue 1 Dec 10:00Z
        assert await starts(s, w) == tuesday(1, [(8, 0), (8, 30), (9, 0)])
        w.programme.booking_horizon_days = 28
        w.programme.ends_on = date(2026, 12, 8)
        w.leader.timezone = "Asia/Tokyo"  # the programme ends 8 Dec 15:00Z
        assert await starts(s, w) == tuesday(1) + tuesday(8)
        w.leader.timezone = "Pacific/Kiritimati"  # UTC+14: it ends 8 Dec 10:00Z
        assert await starts(s, w) == tuesday(1) + tuesday(8, [(8, 0), (8, 30), (9, 0)])


async def test_length_defaults_to_the_programme_and_can_be_given(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        w.programme.session_minutes = 90
        got = await starts(s, w)
        assert got[:4] == tuesday(1, [(8, 0), (8, 30), (9, 0), (9, 30)])
        chemistry = await slots_for(
            db=s,
            coach=w.coach,
            leader=w.leader,
            programme=w.programme,
            now=T0,
            length=timedelta(minutes=20),
        )
        assert [x.starts_at for x in chemistry[:6]] == tuesday(1, [*FULL_DAY, (10, 30)])
        assert chemistry[0].ends_at == utc(2026, 12, 1, 8, 20)


async def test_more_windows_and_a_coach_without_any(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        s.add(AvailabilityWindow(coach_id=w.coach.id, weekday=1, starts=time(12), ends=time(13)))
        got = await starts(s, w)
        # 09:00-12:00 and 12:00-13:00 CET merge: 08:00 .. 11:00Z starts
        assert got[:7] == tuesday(1, [*FULL_DAY, (10, 30), (11, 0)])
        bo = await other_coach(s, w)
        assert await slots_for(db=s, coach=bo, leader=w.leader, programme=w.programme, now=T0) == []


@pytest.mark.parametrize("who", ["coach", "leader"])
async def test_missing_zone_is_refused(db: Database, who: str) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        person = w.coach if who == "coach" else w.leader
        person.timezone = "Mars/Olympus_Mons"
        with pytest.raises(ZoneMissing) as raised:
            await starts(s, w)
        assert raised.value.values == {"name": person.name}
        slot = Slot(utc(2026, 12, 1, 8), utc(2026, 12, 1, 9))
        with pytest.raises(ZoneMissing):
            await is_open(
                db=s, coach=w.coach, leader=w.leader, programme=w.programme, slot=slot, now=T0
            )


async def test_is_open_matches_the_offered_slots(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        add_booking(s, w, utc(2026, 12, 8, 9))

        async def check(start: datetime, minutes: int = 60, now: datetime = T0) -> bool:
            slot = Slot(start, start + timedelta(minutes=minutes))
            return await is_open(
                db=s, coach=w.coach, leader=w.leader, programme=w.programme, slot=slot, now=now
            )

        assert await check(utc(2026, 12, 1, 8))
        assert await check(utc(2026, 12, 1, 10))
        assert await check(utc(2026, 12, 1, 10, 30), minutes=30)
        assert not await check(utc(2026, 12, 1, 10, 30))  # would end 11:30Z, after the window
        assert not await check(utc(2026, 12, 1, 8, 15))  # off the 30-minute grid
        assert not await check(utc(2026, 12, 2, 8))  # Wednesday: no window
        assert not await check(utc(2026, 12, 8, 10))  # inside the booking's buffer
        assert await check(utc(2026, 12, 8, 10, 30), minutes=30)
        assert not await check(utc(2026, 11, 24, 8))  # in the past
        assert not await check(utc(2026, 12, 1, 8), now=utc(2026, 11, 30, 8, 1))  # notice
        assert await check(utc(2026, 12, 1, 8), now=utc(2026, 11, 30, 8))
        assert not await check(utc(2026, 12, 22, 9, 30))  # ends after the horizon
        assert await check(utc(2026, 12, 22, 9))
        # everything slots_for offers is open, and nothing else on those days
        offered = await slots_for(
            db=s, coach=w.coach, leader=w.leader, programme=w.programme, now=T0
        )
        for slot in offered:
            assert await check(slot.starts_at)
