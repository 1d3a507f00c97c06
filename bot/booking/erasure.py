"""What erasing a person does to sessions: upcoming ones are cancelled, the rest let go of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.service import cancel, upcoming
from storage.models import Booking, Person

ALL_UPCOMING = 10_000


async def release_sessions(*, db: AsyncSession, person: Person, now: datetime) -> int:
    """Cancel the person's upcoming sessions (the others are told; calendars follow) and
    detach their one-to-one bookings from them, so the coach's record keeps no trace of who.

    Run before the person's row is deleted; returns how many sessions were cancelled.
    """
    live = await upcoming(db=db, person=person, now=now, limit=ALL_UPCOMING)
    for item in live:
        await cancel(db=db, booking=item.booking, by=person, now=now, waive_late=True)
    if person.role != "coach":  # a coach's own bookings go with them (foreign-key cascade)
        await db.execute(
            update(Booking)
            .where(Booking.leader_id == person.id)
            .values(leader_id=None, engagement_id=None)
            .execution_options(synchronize_session=False)
        )
    return len(live)
