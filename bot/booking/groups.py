"""Group sessions: a coach opens one with a capacity; leaders of the cohort take seats."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking import calendar
from bot.booking.changes import (
    CONFIRMED,
    LIVE_ENGAGEMENT,
    Outcome,
    coach_taken,
    leader_busy,
    new_uid,
    overlap_guard,
    person,
    publish,
)
from bot.booking.errors import (
    AlreadyJoined,
    BookingError,
    GroupFull,
    LeaderBusy,
    NotEnrolled,
    NotInCohort,
    NotLive,
    NotYours,
    SlotInPast,
    SlotTaken,
    ZoneMissing,
)
from bot.booking.model import Slot
from bot.timefmt import is_valid_zone
from storage.models import Booking, BookingSeat, Engagement, Person, Programme

GROUP_MINUTES = (15, 240)
GROUP_CAPACITY = (2, 50)


async def create_group(
    *,
    db: AsyncSession,
    coach: Person,
    programme: Programme,
    cohort: str | None,
    starts_at: datetime,
    minutes: int,
    capacity: int,
    title: str,
    now: datetime,
) -> Booking:
    """Open a group session on the coach's time for a programme (and cohort, if given)."""
    if coach.role != "coach" or coach.organisation_id != programme.organisation_id:
        raise NotYours()
    if not is_valid_zone(coach.timezone):
        raise ZoneMissing(name=coach.name)
    if starts_at <= now:
        raise SlotInPast()
    if not GROUP_MINUTES[0] <= minutes <= GROUP_MINUTES[1]:
        raise BookingError()
    if not GROUP_CAPACITY[0] <= capacity <= GROUP_CAPACITY[1]:
        raise BookingError()
    slot = Slot(starts_at, starts_at + timedelta(minutes=minutes))
    if await coach_taken(db, coach.id, slot):
        raise SlotTaken()
    booking = Booking(
        kind="group",
        status=CONFIRMED,
        coach_id=coach.id,
        programme_id=programme.id,
        cohort=cohort,
        title=title,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=capacity,
        seats_taken=0,
        ics_uid=new_uid(),
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    try:
        async with overlap_guard(db):
            db.add(booking)
            await db.flush()
    except LeaderBusy:  # a group session has no seats yet: only the coach's time can clash
        raise SlotTaken() from None
    await calendar.queue_sync(db=db, booking=booking, now=now)
    return booking


async def join_group(
    *, db: AsyncSession, booking: Booking, engagement: Engagement, now: datetime
) -> Outcome:
    """Take a seat in a group session; GroupFull when every seat is gone."""
    leader = await person(db, engagement.leader_id)
    if not is_valid_zone(leader.timezone):
        raise ZoneMissing(name=leader.name)
    if engagement.status not in LIVE_ENGAGEMENT:
        raise NotEnrolled()
    await db.refresh(booking)
    if booking.kind != "group" or booking.status != CONFIRMED or booking.starts_at <= now:
        raise NotLive()
    if booking.programme_id != engagement.programme_id or (
        booking.cohort is not None and booking.cohort != leader.cohort
    ):
        raise NotInCohort()
    slot = Slot(booking.starts_at, booking.ends_at)
    joined = await db.scalar(
        select(BookingSeat.id).where(
            BookingSeat.booking_id == booking.id,
            BookingSeat.leader_id == leader.id,
            BookingSeat.status == CONFIRMED,
        )
    )
    if joined is not None:
        raise AlreadyJoined()
    if await leader_busy(db, leader.id, slot):
        raise LeaderBusy()
    async with overlap_guard(db):
        taken = await db.execute(
            update(Booking)
            .where(
                Booking.id == booking.id,
                Booking.seats_taken < Booking.capacity,
                Booking.status == CONFIRMED,
            )
            .values(seats_taken=Booking.seats_taken + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:
            raise GroupFull()
        db.add(
            BookingSeat(
                booking_id=booking.id,
                leader_id=leader.id,
                engagement_id=engagement.id,
                status=CONFIRMED,
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                created_at=now,
                updated_at=now,
            )
        )
        await db.flush()
    return await publish(db, booking, "joined", now=now, actor=leader, seat_leader=leader)


async def open_groups(*, db: AsyncSession, engagement: Engagement, now: datetime) -> list[Booking]:
    """Future group sessions of the leader's programme and cohort with a free seat, not joined."""
    leader = await person(db, engagement.leader_id)
    mine = exists().where(
        BookingSeat.booking_id == Booking.id,
        BookingSeat.leader_id == leader.id,
        BookingSeat.status == CONFIRMED,
    )
    cohort: ColumnElement[bool] = Booking.cohort.is_(None)
    if leader.cohort is not None:
        cohort = or_(cohort, Booking.cohort == leader.cohort)
    rows = await db.scalars(
        select(Booking)
        .where(
            Booking.kind == "group",
            Booking.status == CONFIRMED,
            Booking.programme_id == engagement.programme_id,
            Booking.starts_at > now,
            Booking.seats_taken < Booking.capacity,
            cohort,
            ~mine,
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    return list(rows.all())
