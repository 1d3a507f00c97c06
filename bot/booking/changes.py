"""What every booking change shares: the slot checks, the Outcome, telling the parties."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import availability, calendar, notices
from bot.booking.errors import (
    BookingError,
    ChemistryDone,
    LeaderBusy,
    NotEnrolled,
    SlotInPast,
    SlotTaken,
    SlotUnavailable,
    ZoneMissing,
)
from bot.booking.model import CHEMISTRY_MINUTES, Slot
from bot.booking.notices import Event
from bot.timefmt import is_valid_zone
from bot.ui import Message
from storage.models import Booking, BookingSeat, CoachProfile, Person, Programme

CONFIRMED = "confirmed"
LIVE_ENGAGEMENT = ("active", "paused")
"""Engagements whose leader can book: paused means reminders are paused, not the coaching."""
SEAT_TABLE = "booking_seats"
"""Named by the per-leader constraint (ex_booking_seats_leader_overlap) and deadlock contexts."""
EXCLUSION_VIOLATION = "23P01"
DEADLOCK = "40P01"


@dataclass(frozen=True)
class Outcome:
    """A change that went through: the booking (seats in `.seats`) and the actor's own notice."""

    booking: Booking
    notice: Message | None


def new_uid() -> str:
    """A calendar UID for a new booking, stable for the booking's whole life."""
    return f"{uuid4()}@coach-companion"


def refusal(err: DBAPIError) -> BookingError | None:
    """The BookingError for the database refusing an overlap, or None for any other error.

    PostgreSQL refuses with an exclusion violation (23P01) once the rival committed, or picks
    one of two rivals inserting at the same instant as a deadlock victim (40P01); either way
    the rival holds the time. The constraint (or, for a deadlock, the context) names whose.
    """
    diag = getattr(err.orig, "diag", None)
    state = getattr(err.orig, "sqlstate", None)
    if isinstance(err, IntegrityError) and state == EXCLUSION_VIOLATION:
        where = getattr(diag, "constraint_name", None) or ""
    elif state == DEADLOCK:
        where = getattr(diag, "context", None) or ""
    else:
        return None
    return LeaderBusy() if SEAT_TABLE in where else SlotTaken()


@asynccontextmanager
async def overlap_guard(db: AsyncSession) -> AsyncIterator[None]:
    """A savepoint whose overlap refusal becomes SlotTaken / LeaderBusy; the transaction lives."""
    try:
        async with db.begin_nested():
            yield
    except DBAPIError as err:
        refused = refusal(err)
        if refused is None:
            raise
        raise refused from None


async def person(db: AsyncSession, person_id: int | None) -> Person:
    """The person with this id; NotEnrolled if they are gone."""
    found = await db.get(Person, person_id) if person_id is not None else None
    if found is None:
        raise NotEnrolled()
    return found


async def leader_busy(
    db: AsyncSession, leader_id: int, slot: Slot, ignore_booking_id: int | None = None
) -> bool:
    """True when the leader holds a confirmed seat overlapping `slot` (another booking)."""
    query = select(BookingSeat.id).where(
        BookingSeat.leader_id == leader_id,
        BookingSeat.status == CONFIRMED,
        BookingSeat.starts_at < slot.ends_at,
        BookingSeat.ends_at > slot.starts_at,
    )
    if ignore_booking_id is not None:
        query = query.where(BookingSeat.booking_id != ignore_booking_id)
    return (await db.scalar(query.limit(1))) is not None


async def coach_taken(
    db: AsyncSession, coach_id: int, slot: Slot, ignore_booking_id: int | None = None
) -> bool:
    """True when the coach has a confirmed booking overlapping `slot` (another booking)."""
    query = select(Booking.id).where(
        Booking.coach_id == coach_id,
        Booking.status == CONFIRMED,
        Booking.starts_at < slot.ends_at,
        Booking.ends_at > slot.starts_at,
    )
    if ignore_booking_id is not None:
        query = query.where(Booking.id != ignore_booking_id)
    return (await db.scalar(query.limit(1))) is not None


async def check_slot(
    db: AsyncSession,
    *,
    coach: Person,
    leader: Person,
    programme: Programme,
    slot: Slot,
    kind: str,
    now: datetime,
    ignore_booking_id: int | None = None,
) -> None:
    """Refuse a slot that is past, the wrong length, clashing for the leader or not open."""
    if slot.starts_at <= now:
        raise SlotInPast()
    minutes = CHEMISTRY_MINUTES if kind == "chemistry" else programme.session_minutes
    if slot.length != timedelta(minutes=minutes):
        raise SlotUnavailable()
    if kind == "chemistry" and await _chemistry_done(db, coach=coach, leader=leader):
        raise ChemistryDone(coach=coach.name)
    if await leader_busy(db, leader.id, slot, ignore_booking_id):
        raise LeaderBusy()
    is_free = await availability.is_open(
        db=db,
        coach=coach,
        leader=leader,
        programme=programme,
        slot=slot,
        now=now,
        ignore_booking_id=ignore_booking_id,
    )
    if not is_free:
        profile = await db.get(CoachProfile, coach.id)
        gap = timedelta(minutes=profile.buffer_minutes if profile else 0)
        near = Slot(slot.starts_at - gap, slot.ends_at + gap)  # a booking inside the buffer
        if await coach_taken(db, coach.id, near, ignore_booking_id):
            raise SlotTaken()
        raise SlotUnavailable()


async def _chemistry_done(db: AsyncSession, *, coach: Person, leader: Person) -> bool:
    found = await db.scalar(
        select(Booking.id)
        .where(
            Booking.kind == "chemistry",
            Booking.coach_id == coach.id,
            Booking.leader_id == leader.id,
            Booking.status.in_((CONFIRMED, "held")),
        )
        .limit(1)
    )
    return found is not None


def check_zones(*people: Person | None) -> None:
    """ZoneMissing for the first person whose time zone is not a real IANA zone."""
    for someone in people:
        if someone is not None and not is_valid_zone(someone.timezone):
            raise ZoneMissing(name=someone.name)


async def publish(
    db: AsyncSession,
    booking: Booking,
    event: Event,
    *,
    now: datetime,
    actor: Person | None,
    seat_leader: Person | None = None,
    previous: Slot | None = None,
) -> Outcome:
    """Flush, tell every party but the actor, queue the calendar sync; the actor's Outcome."""
    await db.flush()
    await db.refresh(booking, attribute_names=["seats_taken", "seats"])
    notice = await notices.announce(
        db=db,
        booking=booking,
        event=event,
        now=now,
        actor=actor,
        seat_leader=seat_leader,
        previous=previous,
    )
    await calendar.queue_sync(db=db, booking=booking, now=now)
    return Outcome(booking=booking, notice=notice)
