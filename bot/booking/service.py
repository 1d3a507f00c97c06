"""Booking, moving and cancelling sessions; nobody is ever double-booked.

Every check runs before anything is written, so a refusal (a BookingError) changes nothing.
The write itself runs in a savepoint: on PostgreSQL the exclusion constraints refuse an
overlap that slipped past the checks (a concurrent booking), and that refusal becomes
SlotTaken (or LeaderBusy) while the caller's transaction lives on. On SQLite the edge's
transaction is BEGIN IMMEDIATE, so the checks and the write are already serialised.
Group sessions are in bot.booking.groups, away time in bot.booking.away (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.allowance import is_late, sessions_left
from bot.booking.away import add_away, remove_away
from bot.booking.changes import (
    CONFIRMED,
    LIVE_ENGAGEMENT,
    Outcome,
    check_slot,
    check_zones,
    new_uid,
    overlap_guard,
    person,
    publish,
)
from bot.booking.errors import (
    AlreadyYourCoach,
    BookingError,
    CoachNotOffered,
    NoCoach,
    NoSessionsLeft,
    NotEnrolled,
    NotLive,
    NotYourCoach,
    NotYours,
    SlotInPast,
    TooLateToMove,
)
from bot.booking.groups import create_group, join_group, open_groups
from bot.booking.model import Slot
from bot.brief_window import drop_unsent_brief
from storage.models import Booking, BookingSeat, CoachProfile, Engagement, Person, Programme

__all__ = [
    "Outcome",
    "Upcoming",
    "add_away",
    "book",
    "cancel",
    "create_group",
    "join_group",
    "open_groups",
    "remove_away",
    "reschedule",
    "upcoming",
]

Kind = Literal["session", "chemistry"]


@dataclass(frozen=True)
class Upcoming:
    """One upcoming session as its person sees it, with what they may do with it."""

    booking: Booking
    others: tuple[Person, ...]  # the coach for a leader; the leader(s) for a coach
    can_move: bool  # False inside the late window or for group/chemistry seats
    late: bool  # cancelling now would count as used


def _set_times(row: Booking | BookingSeat, slot: Slot, now: datetime) -> None:
    row.starts_at, row.ends_at, row.updated_at = slot.starts_at, slot.ends_at, now


async def book(
    *,
    db: AsyncSession,
    engagement: Engagement,
    slot: Slot,
    now: datetime,
    kind: Kind = "session",
    coach: Person | None = None,
) -> Outcome:
    """Book `slot` for the engagement's leader with their coach (or `coach`, for chemistry)."""
    leader = await person(db, engagement.leader_id)
    if coach is None and engagement.coach_id is not None:
        coach = await db.get(Person, engagement.coach_id)
    check_zones(leader, coach)
    programme = await db.get(Programme, engagement.programme_id)
    if engagement.status not in LIVE_ENGAGEMENT or programme is None:
        raise NotEnrolled()
    if coach is None:
        raise NoCoach()
    if kind == "chemistry" and coach.id == engagement.coach_id:
        raise AlreadyYourCoach(coach=coach.name)
    if kind == "session" and coach.id != engagement.coach_id:
        raise NotYourCoach(coach=coach.name)
    if not await _may_book_with(db, coach, leader, engagement, programme, kind):
        raise CoachNotOffered()
    if slot.starts_at <= now:
        raise SlotInPast()
    if kind == "session" and await sessions_left(db=db, engagement=engagement) <= 0:
        raise NoSessionsLeft(allowed=programme.sessions_per_leader)
    await check_slot(
        db, coach=coach, leader=leader, programme=programme, slot=slot, kind=kind, now=now
    )
    booking = Booking(
        kind=kind,
        status=CONFIRMED,
        leader_id=leader.id,
        coach_id=coach.id,
        engagement_id=engagement.id,
        programme_id=programme.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=1,
        seats_taken=1,
        ics_uid=new_uid(),
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    seat = BookingSeat(
        leader_id=leader.id,
        engagement_id=engagement.id,
        status=CONFIRMED,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        created_at=now,
        updated_at=now,
    )
    booking.seats.append(seat)
    async with overlap_guard(db):
        db.add(booking)
        await db.flush()
    return await publish(db, booking, "booked", now=now, actor=leader)


async def _may_book_with(
    db: AsyncSession,
    coach: Person,
    leader: Person,
    engagement: Engagement,
    programme: Programme,
    kind: str,
) -> bool:
    """Sessions are with the leader's own coach; chemistry calls with a coach of their
    organisation who coaches the programme's modality."""
    if coach.role != "coach" or coach.organisation_id != leader.organisation_id:
        return False
    if kind == "session":
        return coach.id == engagement.coach_id
    profile = await db.get(CoachProfile, coach.id)
    return profile is not None and programme.modality in profile.modalities


async def _live_seats(db: AsyncSession, booking: Booking) -> list[BookingSeat]:
    rows = await db.scalars(
        select(BookingSeat)
        .where(BookingSeat.booking_id == booking.id, BookingSeat.status == CONFIRMED)
        .order_by(BookingSeat.id)
    )
    return list(rows.all())


async def reschedule(
    *, db: AsyncSession, booking: Booking, by: Person, slot: Slot, now: datetime
) -> Outcome:
    """Move the leader's one-to-one (or chemistry call) to `slot`: same row, sequence + 1."""
    if booking.kind not in ("session", "chemistry") or booking.leader_id != by.id:
        raise NotYours()
    await db.refresh(booking, with_for_update=True)
    if booking.status != CONFIRMED or booking.starts_at <= now:
        raise NotLive()
    programme = await db.get(Programme, booking.programme_id) if booking.programme_id else None
    engagement = await db.get(Engagement, booking.engagement_id) if booking.engagement_id else None
    if programme is None or engagement is None or engagement.status not in LIVE_ENGAGEMENT:
        raise NotEnrolled()
    if is_late(booking=booking, programme=programme, now=now):
        raise TooLateToMove(hours=programme.late_cancel_hours)
    coach = await person(db, booking.coach_id)
    check_zones(by, coach)
    await check_slot(
        db,
        coach=coach,
        leader=by,
        programme=programme,
        slot=slot,
        kind=booking.kind,
        now=now,
        ignore_booking_id=booking.id,
    )
    previous = Slot(booking.starts_at, booking.ends_at)
    seats = await _live_seats(db, booking)
    try:
        async with overlap_guard(db):
            _set_times(booking, slot, now)
            for seat in seats:
                _set_times(seat, slot, now)
            booking.sequence += 1
            await drop_unsent_brief(db=db, booking=booking)
            await db.flush()
    except BookingError:
        await db.refresh(booking)  # the savepoint's rollback expired the moved rows
        raise
    return await publish(db, booking, "rescheduled", now=now, actor=by, previous=previous)


async def cancel(
    *, db: AsyncSession, booking: Booking, by: Person, now: datetime, waive_late: bool = False
) -> Outcome:
    """Cancel as the coach (all of it, never counted) or a leader (their seat; a 1:1 whole)."""
    await db.refresh(booking, with_for_update=True)
    if booking.status != CONFIRMED or booking.ends_at <= now:
        raise NotLive()
    seats = await _live_seats(db, booking)
    if by.id == booking.coach_id:
        status = "cancelled"
        mine = seats
    elif booking.leader_id == by.id:
        programme = await db.get(Programme, booking.programme_id) if booking.programme_id else None
        late = programme is not None and is_late(booking=booking, programme=programme, now=now)
        counts = late and not waive_late and booking.kind == "session"
        status = "late_cancelled" if counts else "cancelled"
        mine = seats
    else:
        mine = [seat for seat in seats if seat.leader_id == by.id]
        if not mine:
            raise NotYours()
        return await _leave(db, booking, mine, by=by, now=now)
    for seat in mine:
        seat.status, seat.cancelled_at, seat.updated_at = status, now, now
    booking.status, booking.cancelled_at, booking.cancelled_by_id = status, now, by.id
    booking.seats_taken = 0
    booking.sequence += 1
    await drop_unsent_brief(db=db, booking=booking)
    booking.updated_at = now
    return await publish(db, booking, "cancelled", now=now, actor=by)


async def _leave(
    db: AsyncSession, booking: Booking, seats: list[BookingSeat], *, by: Person, now: datetime
) -> Outcome:
    """A leader gives up their seat in a group session; the session goes on."""
    for seat in seats:
        seat.status, seat.cancelled_at, seat.updated_at = "cancelled", now, now
    await db.execute(
        update(Booking)
        .where(Booking.id == booking.id)
        .values(seats_taken=Booking.seats_taken - len(seats), updated_at=now)
    )
    return await publish(db, booking, "left", now=now, actor=by, seat_leader=by)


async def upcoming(
    *, db: AsyncSession, person: Person, now: datetime, limit: int = 10
) -> list[Upcoming]:
    """The person's confirmed sessions that have not ended, soonest first."""
    if person.role == "coach":
        query = select(Booking).where(Booking.coach_id == person.id)
    else:
        query = (
            select(Booking)
            .join(BookingSeat, BookingSeat.booking_id == Booking.id)
            .where(BookingSeat.leader_id == person.id, BookingSeat.status == CONFIRMED)
        )
    query = query.where(Booking.status == CONFIRMED, Booking.ends_at > now)
    bookings = list(
        (await db.scalars(query.order_by(Booking.starts_at, Booking.id).limit(limit))).unique()
    )
    result = []
    for booking in bookings:
        if person.role == "coach":
            seats = await _live_seats(db, booking)
            others = tuple([await db.get(Person, s.leader_id) for s in seats])
            result.append(
                Upcoming(booking, tuple(p for p in others if p), can_move=False, late=False)
            )
            continue
        coach = await db.get(Person, booking.coach_id)
        programme = await db.get(Programme, booking.programme_id) if booking.programme_id else None
        late = programme is not None and is_late(booking=booking, programme=programme, now=now)
        is_session = booking.kind == "session"
        result.append(
            Upcoming(
                booking,
                (coach,) if coach else (),
                can_move=is_session and not late and booking.starts_at > now,
                late=is_session and late,
            )
        )
    return result
