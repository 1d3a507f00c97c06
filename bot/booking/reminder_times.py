"""When reminders fall due inside a span: lets a clock jump sweep at those exact instants."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.reminders import DEFAULT_OFFSETS, offsets_of
from storage.models import Booking, Programme

MAX_INSTANTS = 2_000
"""A jump sweeps at most this many extra instants (the step grid still covers the rest)."""


async def reminder_instants(*, db: AsyncSession, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] at which a confirmed session's reminder falls due, sorted."""
    programmes = {
        pid: offsets_of(offsets)
        for pid, offsets in (
            await db.execute(select(Programme.id, Programme.reminder_offsets_minutes))
        ).all()
    }
    longest = max((o for offsets in programmes.values() for o in offsets), default=0)
    longest = max(longest, *DEFAULT_OFFSETS)
    rows = await db.execute(
        select(Booking.starts_at, Booking.programme_id).where(
            Booking.status == "confirmed",
            Booking.starts_at > start,
            Booking.starts_at <= end + timedelta(minutes=longest),
        )
    )
    instants: set[datetime] = set()
    for starts_at, programme_id in rows.all():
        for offset in programmes.get(programme_id or -1, DEFAULT_OFFSETS):
            due = starts_at - timedelta(minutes=offset)
            if start < due <= end:
                instants.add(due)
    return sorted(instants)[:MAX_INSTANTS]
