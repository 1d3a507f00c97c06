"""Which shared items a brief covers, which briefs went out, and cancelling a superseded one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.ics import safe_zone
from bot.handoffs import AGENDA
from bot.timefmt import zone_info
from storage.models import (
    Booking,
    BookingSeat,
    Engagement,
    Handoff,
    OutboxMessage,
    Person,
    Programme,
)

KEY_PREFIX = "brief:"
DEFAULT_BRIEF_MINUTES = 1440
"""Minutes before the start, for sessions outside a programme (Programme.brief_offset_minutes)."""


def brief_key(booking: Booking) -> str:
    """The outbox dedupe key of a booking version's brief: a move (sequence + 1) gets a new one."""
    return f"{KEY_PREFIX}{booking.id}:{booking.sequence}"


def _leaders_sessions(leader_id: int) -> Select[int]:
    """Bookings in which this leader holds (or held) a seat."""
    return select(BookingSeat.booking_id).where(BookingSeat.leader_id == leader_id)


async def since_for(*, db: AsyncSession, booking: Booking, leader: Person) -> datetime:
    """Where a brief's items start: the previous session's brief (else its start), else the
    engagement's start. Items shared in the day before a session go into the next brief."""
    previous = await db.scalar(
        select(Booking)
        .join(BookingSeat, BookingSeat.booking_id == Booking.id)
        .where(
            BookingSeat.leader_id == leader.id,
            BookingSeat.status == "confirmed",
            Booking.status == "confirmed",
            Booking.kind == "session",
            Booking.id != booking.id,
            Booking.starts_at < booking.starts_at,
        )
        .order_by(Booking.starts_at.desc(), Booking.id.desc())
        .limit(1)
    )
    if previous is not None:
        sent = previous.brief_sent_at
        return min(sent, previous.starts_at) if sent is not None else previous.starts_at
    engagement = await db.get(Engagement, booking.engagement_id) if booking.engagement_id else None
    started: date = engagement.started_on if engagement is not None else booking.created_at.date()
    return datetime.combine(started, time(), tzinfo=zone_info(safe_zone(leader.timezone)))


async def last_brief_at(*, db: AsyncSession, leader_id: int) -> datetime | None:
    """When the latest brief about this leader went to a coach (None: never)."""
    return await db.scalar(
        select(func.max(Booking.brief_sent_at)).where(Booking.id.in_(_leaders_sessions(leader_id)))
    )


async def drop_unsent_brief(*, db: AsyncSession, booking: Booking) -> int:
    """Before a move or cancel: delete this booking's brief still waiting in the outbox (its
    agenda items become pending again). Returns how many were dropped."""
    dropped = await db.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key.like(f"{KEY_PREFIX}{booking.id}:%"),
            OutboxMessage.status == "pending",
        )
        .returning(OutboxMessage.id)
    )
    count = len(dropped.all())
    if count:
        booking.brief_sent_at = None
        await db.execute(
            update(Handoff)
            .where(Handoff.booking_id == booking.id, Handoff.status == AGENDA)
            .values(delivered_at=None)
        )
    return count


async def brief_due_at(*, db: AsyncSession, booking: Booking) -> datetime:
    """When this session's brief falls due (its programme's offset before the start)."""
    programme = await db.get(Programme, booking.programme_id) if booking.programme_id else None
    minutes = programme.brief_offset_minutes if programme is not None else 0
    return booking.starts_at - timedelta(minutes=minutes if minutes > 0 else DEFAULT_BRIEF_MINUTES)


async def covered_until(*, db: AsyncSession, leader_id: int, now: datetime) -> datetime | None:
    """Up to when the leader's shared items are covered by a brief already sent: the latest
    brief, else (sessions with no brief) the start of the latest session; None: nothing yet."""
    last = await last_brief_at(db=db, leader_id=leader_id)
    if last is not None:
        return last
    return await db.scalar(
        select(func.max(Booking.starts_at)).where(
            Booking.id.in_(_leaders_sessions(leader_id)),
            Booking.status == "confirmed",
            Booking.kind == "session",
            Booking.starts_at <= now,
        )
    )
