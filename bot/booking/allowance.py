"""A leader's session allowance: sessions used and left, and the late-cancel window."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Booking, BookingSeat, Engagement, Programme

COUNTED = ("confirmed", "late_cancelled", "no_show")
"""Seat statuses that use up one of the programme's sessions (held, booked or missed)."""


async def sessions_used(*, db: AsyncSession, engagement: Engagement) -> int:
    """One-to-one sessions this engagement has booked, late-cancelled or missed."""
    used = await db.scalar(
        select(func.count(BookingSeat.id))
        .join(Booking, Booking.id == BookingSeat.booking_id)
        .where(
            BookingSeat.engagement_id == engagement.id,
            BookingSeat.status.in_(COUNTED),
            Booking.kind == "session",
        )
    )
    return int(used or 0)


async def sessions_left(*, db: AsyncSession, engagement: Engagement) -> int:
    """Sessions the leader may still book in this programme (never below zero)."""
    programme = await db.get(Programme, engagement.programme_id)
    if programme is None:
        return 0
    used = await sessions_used(db=db, engagement=engagement)
    return max(0, programme.sessions_per_leader - used)


def is_late(*, booking: Booking, programme: Programme, now: datetime) -> bool:
    """True inside the late-cancel window: fewer than late_cancel_hours before the start."""
    return booking.starts_at - now < timedelta(hours=programme.late_cancel_hours)
