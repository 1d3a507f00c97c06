"""Choosing a coach: capacity never exceeded (also under concurrency), re-match, refusals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.booking.errors import BookingError, CoachFull, CoachNotOffered, NotEnrolled, NotYours
from bot.booking.matching import choose_coach
from prompts import copy_for
from storage.db import Database
from storage.models import AuditEntry, Booking, BookingSeat, Engagement, Person, Programme
from tests.bot.booking import test_matching_helpers as h
from tests.factories import T0


@dataclass
class World:
    programme: Programme
    leader: Person
    engagement: Engagement
    ana: Person
    ben: Person


async def world(db: Database, *, coach: str | None = None) -> World:
    """A leader in London without a coach (or with `coach`: 'ana'), and two coaches with room."""
    async with db.transaction() as s:
        p = await h.org(s, "ldn")
        leader = await h.person(s, p, "Sam Lee", "Europe/London")
        ana = await h.coach(s, p, "Ana Ruiz", "Europe/Madrid", capacity=3)
        ben = await h.coach(s, p, "Ben Okafor", "Europe/London", capacity=2)
        engagement = await h.enrol(s, p, leader, ana if coach == "ana" else None)
    return World(p, leader, engagement, ana, ben)


async def coach_of(db: Database, engagement_id: int) -> int | None:
    async with db.reading() as s:
        return await s.scalar(select(Engagement.coach_id).where(Engagement.id == engagement_id))


async def audit(db: Database) -> list[AuditEntry]:
    async with db.reading() as s:
        return list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_choosing_a_coach_sets_it_and_is_audited(db: Database) -> None:
    w = await world(db)
    async with db.transaction() as s:
        e = await choose_coach(db=s, engagement=w.engagement, coach_id=w.ben.id, now=T0)
        assert e.coach_id == w.ben.id
    assert await coach_of(db, w.engagement.id) == w.ben.id
    (entry,) = await audit(db)
    assert (entry.action, entry.actor, entry.subject_type) == (
        "matching.choose",
        f"person:{w.leader.id}",
        "engagement",
    )
    assert entry.detail == {"coach_id": w.ben.id, "old_coach_id": None, "cancelled_sessions": 0}


async def test_choosing_the_same_coach_again_changes_nothing(db: Database) -> None:
    w = await world(db, coach="ana")
    async with db.transaction() as s:
        e = await choose_coach(db=s, engagement=w.engagement, coach_id=w.ana.id, now=T0)
        assert e.coach_id == w.ana.id
    assert await audit(db) == []


async def test_a_coach_at_capacity_is_refused_and_nothing_changes(db: Database) -> None:
    w = await world(db)
    async with db.transaction() as s:
        await h.clients(s, w.programme, w.ben, "active", "paused", "completed")
    with pytest.raises(CoachFull) as err:
        async with db.transaction() as s:
            await choose_coach(db=s, engagement=w.engagement, coach_id=w.ben.id, now=T0)
    assert copy_for("en")(err.value.key, **err.value.values) == (
        "Ben Okafor has no room for new clients right now. Please pick another coach."
    )
    assert await coach_of(db, w.engagement.id) is None
    assert await audit(db) == []


@pytest.mark.parametrize("who", ["other organisation", "other modality", "not a coach", "nobody"])
async def test_a_coach_not_offered_is_refused_and_nothing_changes(db: Database, who: str) -> None:
    w = await world(db, coach="ana")
    async with db.transaction() as s:
        if who == "other organisation":
            other = await h.org(s, "elsewhere")
            target = (await h.coach(s, other, "Gil Soto", "Europe/London")).id
        elif who == "other modality":
            target = (
                await h.coach(
                    s, w.programme, "Tess Moreno", "Europe/London", modalities=["team", "career"]
                )
            ).id
        elif who == "not a coach":
            target = (await h.person(s, w.programme, "Kim Park", "Europe/London")).id
        else:
            target = 999_999
    with pytest.raises(CoachNotOffered) as err:
        async with db.transaction() as s:
            await choose_coach(db=s, engagement=w.engagement, coach_id=target, now=T0)
    assert isinstance(err.value, NotYours)
    assert "nothing was changed" in copy_for("en")(err.value.key, **err.value.values)
    assert await coach_of(db, w.engagement.id) == w.ana.id
    assert await audit(db) == []


async def test_twenty_leaders_race_for_the_last_place(db: Database) -> None:
    w = await world(db)
    async with db.transaction() as s:
        await h.clients(s, w.programme, w.ben, "active")  # 1 of 2 places taken
        leaders = [await h.person(s, w.programme, f"Racer {i}", "Europe/London") for i in range(20)]
        engagements = [await h.enrol(s, w.programme, p) for p in leaders]

    async def attempt(engagement_id: int) -> int:
        async with db.transaction() as s:
            e = await s.get(Engagement, engagement_id)
            assert e is not None
            await choose_coach(db=s, engagement=e, coach_id=w.ben.id, now=T0)
            return engagement_id

    results = await asyncio.gather(*(attempt(e.id) for e in engagements), return_exceptions=True)
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1
    assert len(lost) == 19 and all(isinstance(r, CoachFull) for r in lost), lost
    async with db.reading() as s:
        taken = await s.scalar(
            select(func.count())
            .select_from(Engagement)
            .where(Engagement.coach_id == w.ben.id, Engagement.status == "active")
        )
    assert taken == 2
    assert await coach_of(db, won[0]) == w.ben.id


def _session(w: World, starts_at: datetime, uid: str, status: str = "confirmed") -> Booking:
    booking = Booking(
        engagement_id=w.engagement.id,
        leader_id=w.leader.id,
        coach_id=w.ana.id,
        programme_id=w.programme.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        status=status,
        seats_taken=1 if status == "confirmed" else 0,
        ics_uid=uid,
        created_at=T0 - timedelta(days=7),
        updated_at=T0 - timedelta(days=7),
    )
    booking.seats.append(
        BookingSeat(
            leader_id=w.leader.id,
            engagement_id=w.engagement.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            status=status,
            created_at=T0 - timedelta(days=7),
            updated_at=T0 - timedelta(days=7),
        )
    )
    return booking


async def test_a_rematch_cancels_upcoming_sessions_with_the_old_coach(db: Database) -> None:
    w = await world(db, coach="ana")
    async with db.transaction() as s:
        soon = _session(w, T0 + timedelta(hours=2), "soon")  # inside the late window
        later = _session(w, T0 + timedelta(days=6), "later")
        past = _session(w, T0 - timedelta(days=2), "past")
        gone = _session(w, T0 + timedelta(days=3), "gone", status="cancelled")
        s.add_all([soon, later, past, gone])
    async with db.transaction() as s:
        e = await s.get(Engagement, w.engagement.id)
        assert e is not None
        e = await choose_coach(db=s, engagement=e, coach_id=w.ben.id, now=T0)
        assert e.coach_id == w.ben.id
    async with db.reading() as s:
        status = {uid: st for uid, st in await s.execute(select(Booking.ics_uid, Booking.status))}
        seat_rows = await s.execute(
            select(Booking.ics_uid, BookingSeat.status).join(
                BookingSeat, BookingSeat.booking_id == Booking.id
            )
        )
        seats = {uid: st for uid, st in seat_rows}
    # Cancelled, never counted against the leader: the change of coach is not their late cancel.
    assert status == {
        "soon": "cancelled",
        "later": "cancelled",
        "past": "confirmed",
        "gone": "cancelled",
    }
    assert seats == status
    assert await coach_of(db, w.engagement.id) == w.ben.id
    (entry,) = await audit(db)
    assert entry.action == "matching.rematch"
    assert entry.detail == {"coach_id": w.ben.id, "old_coach_id": w.ana.id, "cancelled_sessions": 2}


async def test_a_refused_rematch_cancels_nothing(db: Database) -> None:
    w = await world(db, coach="ana")
    async with db.transaction() as s:
        s.add(_session(w, T0 + timedelta(days=6), "later"))
        await h.clients(s, w.programme, w.ben, "active", "active")  # Ben is full
    with pytest.raises(BookingError):
        async with db.transaction() as s:
            await choose_coach(db=s, engagement=w.engagement, coach_id=w.ben.id, now=T0)
    async with db.reading() as s:
        assert await s.scalar(select(Booking.status)) == "confirmed"
    assert await coach_of(db, w.engagement.id) == w.ana.id


async def test_a_finished_engagement_cannot_choose(db: Database) -> None:
    w = await world(db)
    async with db.transaction() as s:
        e = await s.get(Engagement, w.engagement.id)
        assert e is not None
        e.status = "withdrawn"
    with pytest.raises(NotEnrolled):
        async with db.transaction() as s:
            await choose_coach(db=s, engagement=w.engagement, coach_id=w.ben.id, now=T0)
    assert await coach_of(db, w.engagement.id) is None
