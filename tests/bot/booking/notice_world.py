"""Shared builders for the notice tests: a booking between a New York leader and a London coach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from bot.ui import Message
from storage.db import Database
from storage.models import (
    Booking,
    BookingSeat,
    OutboxMessage,
)
from tests.factories import T0, add_goal, make_world

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 EST in New York, 14:00 GMT in London
NOW = T0
HOUR = timedelta(hours=1)
SECRET = "I am afraid my team will find out about the merger"


@dataclass
class Ids:
    booking: int
    coach: int
    leader: int
    programme: int


async def seed(db: Database, *, kind: str = "session", start: datetime = START) -> Ids:
    """make_world with the coach in London, and a confirmed booking with the leader's seat."""
    async with db.transaction() as s:
        w = await make_world(s)
        w.coach.timezone = "Europe/London"
        add_goal(s, w, SECRET, {"0": SECRET})
        booking = Booking(
            engagement_id=w.engagement.id,
            leader_id=w.leader.id,
            coach_id=w.coach.id,
            programme_id=w.programme.id,
            kind=kind,
            starts_at=start,
            ends_at=start + timedelta(minutes=20 if kind == "chemistry" else 60),
            seats_taken=1,
            ics_uid="b1@coach-companion",
            created_at=NOW,
            updated_at=NOW,
        )
        s.add(booking)
        await s.flush()
        s.add(seat(booking, w.leader.id, w.engagement.id))
    return Ids(booking.id, w.coach.id, w.leader.id, w.programme.id)


def seat(booking: Booking, leader_id: int, engagement_id: int | None) -> BookingSeat:
    return BookingSeat(
        booking_id=booking.id,
        leader_id=leader_id,
        engagement_id=engagement_id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        created_at=NOW,
        updated_at=NOW,
    )


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.reading() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def calendar_of(message: Message) -> Calendar:
    (attachment,) = message.attachments
    cal = Calendar.from_ical(attachment.content)
    assert isinstance(cal, Calendar)
    return cal


def assert_no_secret(*messages: Message) -> None:
    for message in messages:
        assert SECRET not in message.model_dump_json()
        for attachment in message.attachments:
            assert SECRET not in attachment.content
