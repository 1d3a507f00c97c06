"""Erasing a person: their upcoming sessions are cancelled (others told), history detached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.booking.model import Slot
from bot.booking.service import book, create_group, join_group
from bot.privacy import erase, export
from bot.ui import Message
from storage.crypto import Keyring
from storage.db import Database
from storage.models import Booking, BookingSeat, CoachBusy, Engagement, OutboxMessage, Person
from tests.factories import T0, make_world

# Ana (Europe/Madrid) coaches Tuesdays 09:00-12:00: Tue 1 Dec 09:00 CET is 08:00 UTC.
DEC_1 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def _booked(db: Database) -> tuple[int, int, int]:
    """A one-to-one on 1 Dec, a group on 3 Dec the leader joined, a past session; their ids."""
    async with db.transaction() as s:
        w = await make_world(s)
        past = Booking(
            engagement_id=w.engagement.id,
            leader_id=w.leader.id,
            coach_id=w.coach.id,
            programme_id=w.programme.id,
            starts_at=T0 - timedelta(days=7),
            ends_at=T0 - timedelta(days=7) + timedelta(hours=1),
            seats_taken=1,
            ics_uid="past@x",
            created_at=T0,
            updated_at=T0,
        )
        s.add(past)
        s.add(
            CoachBusy(
                coach_id=w.coach.id,
                source="away",
                starts_at=DEC_1 + timedelta(days=14),
                ends_at=DEC_1 + timedelta(days=15),
                created_at=T0,
            )
        )
        engagement = await s.get(Engagement, w.engagement.id)
        assert engagement is not None
        one = await book(
            db=s, engagement=engagement, slot=Slot(DEC_1, DEC_1 + timedelta(hours=1)), now=T0
        )
        group = await create_group(
            db=s,
            coach=w.coach,
            programme=w.programme,
            cohort=None,
            starts_at=DEC_1 + timedelta(days=2),
            minutes=60,
            capacity=5,
            title="Leading through change",
            now=T0,
        )
        await join_group(db=s, booking=group, engagement=engagement, now=T0)
        return one.booking.id, group.id, past.id


async def test_export_lists_one_to_ones_group_seats_and_time_off(db: Database) -> None:
    await _booked(db)
    async with db.reading() as s:
        leader = (await export(db=s, email="leader@example.com", now=T0))["people"][0]
        coach = (await export(db=s, email="coach@example.com", now=T0))["people"][0]
    kinds = sorted((x["kind"], x["status"]) for x in leader["sessions"])
    assert kinds == [("group", "confirmed"), ("session", "confirmed"), ("session", "confirmed")]
    assert [x["source"] for x in coach["coach_profile"]["busy_time"]] == ["away"]


async def test_erasing_a_leader_cancels_upcoming_sessions_and_tells_the_coach(
    db: Database, keyring: Keyring
) -> None:
    one_id, group_id, past_id = await _booked(db)
    async with db.transaction() as s:
        coach = await s.scalar(select(Person).where(Person.email == "coach@example.com"))
        assert coach is not None
        coach_id = coach.id
        already = len(
            (
                await s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == coach_id))
            ).all()
        )
        assert await erase(db=s, email="leader@example.com", now=T0, keyring=keyring) == 1
    async with db.reading() as s:
        one, group, past = [await s.get(Booking, i) for i in (one_id, group_id, past_id)]
        assert one is not None and group is not None and past is not None
        assert (one.status, one.leader_id, one.engagement_id) == ("cancelled", None, None)
        assert (past.status, past.leader_id) == ("confirmed", None)  # history, without who
        assert (group.status, group.seats_taken) == ("confirmed", 0)
        assert (await s.scalars(select(BookingSeat))).all() == []
        to_coach = (
            await s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.person_id == coach_id)
                .order_by(OutboxMessage.id)
            )
        ).all()
    news = [Message.from_payload(r.payload) for r in to_coach[already:]]
    assert len(news) == 2  # the one-to-one cancelled, the group seat freed
    assert any(a.content.count("METHOD:CANCEL") for m in news for a in m.attachments)


async def test_erasing_a_coach_tells_their_leaders_the_sessions_are_cancelled(
    db: Database, keyring: Keyring
) -> None:
    await _booked(db)
    async with db.transaction() as s:
        leader = await s.scalar(select(Person).where(Person.email == "leader@example.com"))
        assert leader is not None
        leader_id = leader.id
        assert await erase(db=s, email="coach@example.com", now=T0, keyring=keyring) == 1
    async with db.reading() as s:
        assert (await s.scalars(select(Booking))).all() == []
        rows = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == leader_id))
        ).all()
    cancels = [
        m
        for m in (Message.from_payload(r.payload) for r in rows)
        if any("METHOD:CANCEL" in a.content for a in m.attachments)
    ]
    assert len(cancels) == 2  # the one-to-one and the group session
