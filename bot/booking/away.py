"""A coach's away time: blocked out so leaders can't book it; sessions inside it are kept."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.changes import CONFIRMED
from bot.booking.errors import BadAway, NotYours
from storage.models import Booking, CoachBusy, Person

MAX_AWAY = timedelta(days=90)
"""The longest away block a coach can set in one go."""


async def add_away(
    *, db: AsyncSession, coach: Person, starts_at: datetime, ends_at: datetime, now: datetime
) -> tuple[CoachBusy, list[Booking]]:
    """Block [starts_at, ends_at) for the coach; also returns the sessions already inside it."""
    if coach.role != "coach":
        raise NotYours()
    if ends_at <= starts_at:
        raise BadAway("order")
    if ends_at <= now:
        raise BadAway("over")
    if ends_at - starts_at > MAX_AWAY:
        raise BadAway("too_long", days=MAX_AWAY.days)
    block = CoachBusy(
        coach_id=coach.id, source="away", starts_at=starts_at, ends_at=ends_at, created_at=now
    )
    db.add(block)
    await db.flush()
    clashes = await db.scalars(
        select(Booking)
        .where(
            Booking.coach_id == coach.id,
            Booking.status == CONFIRMED,
            Booking.starts_at < ends_at,
            Booking.ends_at > starts_at,
            Booking.ends_at > now,
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    return block, list(clashes.all())


async def remove_away(*, db: AsyncSession, coach: Person, away_id: int) -> None:
    """Delete one of the coach's own away blocks (never calendar busy time)."""
    block = await db.get(CoachBusy, away_id)
    if block is None or block.coach_id != coach.id or block.source != "away":
        raise NotYours()
    await db.delete(block)
    await db.flush()
