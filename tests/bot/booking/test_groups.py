"""Group sessions: created by a coach, joined by the cohort, left, rejoined, cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.booking.allowance import sessions_used
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
)
from bot.booking.service import book, cancel, create_group, join_group, open_groups
from storage.db import Database
from storage.models import Booking, BookingSeat, Engagement, OutboxMessage, Person, Programme
from tests.bot.booking.service_world import (
    NOW,
    Ids,
    at,
    booking,
    build,
    counts,
    engagement,
    person,
)


async def _group(
    db: Database,
    ids: Ids,
    *,
    starts_at: datetime | None = None,
    minutes: int = 90,
    capacity: int = 3,
    cohort: str | None = None,
    coach: int | None = None,
) -> int:
    async with db.transaction() as s:
        programme = await s.get(Programme, ids.programme)
        assert programme is not None
        b = await create_group(
            db=s,
            coach=await person(s, coach or ids.coach),
            programme=programme,
            cohort=cohort,
            starts_at=starts_at or at(9).starts_at,
            minutes=minutes,
            capacity=capacity,
            title="Hard conversations",
            now=NOW,
        )
        return b.id


async def _join(db: Database, gid: int, eid: int) -> Booking:
    async with db.transaction() as s:
        out = await join_group(
            db=s, booking=await booking(s, gid), engagement=await engagement(s, eid), now=NOW
        )
        return out.booking


async def test_create_group_is_an_empty_confirmed_block_of_the_coach(db: Database) -> None:
    ids = await build(db)
    gid = await _group(db, ids, cohort="2026-A")
    async with db.reading() as s:
        b = await booking(s, gid)
        assert (b.kind, b.status, b.capacity, b.seats_taken, b.cohort, b.leader_id) == (
            "group",
            "confirmed",
            3,
            0,
            "2026-A",
            None,
        )
        assert (b.ends_at - b.starts_at, b.sequence, b.programme_id) == (
            timedelta(minutes=90),
            0,
            ids.programme,
        )
        assert b.ics_uid.endswith("@coach-companion")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"coach": "leader"}, NotYours),
        ({"starts_at": NOW}, SlotInPast),
        ({"minutes": 10}, BookingError),
        ({"minutes": 241}, BookingError),
        ({"capacity": 1}, BookingError),
        ({"capacity": 51}, BookingError),
        ({"starts_at": at(10).starts_at}, SlotTaken),
    ],
)
async def test_create_group_refusals_change_nothing(
    db: Database, change: dict[str, object], error: type[BookingError]
) -> None:
    ids = await build(db)
    await _group(db, ids, starts_at=at(10, 30).starts_at, minutes=60)  # 10:30-11:30 is taken
    before = await counts(db)
    kwargs = dict(change)
    if kwargs.get("coach") == "leader":
        kwargs["coach"] = ids.leaders[0]
    with pytest.raises(error):
        await _group(db, ids, **kwargs)  # type: ignore[arg-type]
    assert await counts(db) == before


async def test_join_counts_seats_and_full_is_refused(db: Database) -> None:
    ids = await build(db, leaders=3)
    gid = await _group(db, ids, capacity=2)
    first = await _join(db, gid, ids.engagements[0])
    assert first.seats_taken == 1 and [x.leader_id for x in first.seats] == [ids.leaders[0]]
    second = await _join(db, gid, ids.engagements[1])
    assert second.seats_taken == 2
    before = await counts(db)
    with pytest.raises(GroupFull):
        await _join(db, gid, ids.engagements[2])
    assert await counts(db) == before
    async with db.reading() as s:
        assert await sessions_used(db=s, engagement=await engagement(s, ids.engagements[0])) == 0
        to_coach = (
            await s.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.person_id == ids.coach)
            )
        ).all()
    assert len(to_coach) == 2  # the coach hears of each join


async def test_join_refusals(db: Database) -> None:
    ids = await build(db, leaders=3, cohort="2026-A")
    gid = await _group(db, ids, cohort="2026-B")
    with pytest.raises(NotInCohort):
        await _join(db, gid, ids.engagements[0])
    open_gid = await _group(db, ids, starts_at=at(14).starts_at)
    await _join(db, open_gid, ids.engagements[0])
    before = await counts(db)
    with pytest.raises(AlreadyJoined):  # already in it
        await _join(db, open_gid, ids.engagements[0])
    async with db.transaction() as s:
        await s.execute(
            update(Engagement).where(Engagement.id == ids.engagements[2]).values(status="withdrawn")
        )
    with pytest.raises(NotEnrolled):
        await _join(db, open_gid, ids.engagements[2])
    assert await counts(db) == before


async def test_join_refused_when_the_leader_has_a_session_then(db: Database) -> None:
    ids = await build(db, leaders=1, coaches=2)
    gid = await _group(db, ids, coach=ids.coaches[1], starts_at=at(9).starts_at)
    async with db.transaction() as s:
        await book(db=s, engagement=await engagement(s, ids.engagements[0]), slot=at(10), now=NOW)
    before = await counts(db)
    with pytest.raises(LeaderBusy):
        await _join(db, gid, ids.engagements[0])
    assert await counts(db) == before


async def test_other_programme_is_not_in_cohort(db: Database) -> None:
    ids = await build(db)
    gid = await _group(db, ids)
    async with db.transaction() as s:
        other = Programme(
            organisation_id=ids.org, slug="exec", name="Exec", modality="executive", created_at=NOW
        )
        s.add(other)
        await s.flush()
        await s.execute(update(Booking).where(Booking.id == gid).values(programme_id=other.id))
    with pytest.raises(NotInCohort):
        await _join(db, gid, ids.engagements[0])


async def test_leave_frees_the_seat_and_a_leader_may_rejoin(db: Database) -> None:
    ids = await build(db, leaders=2)
    gid = await _group(db, ids, capacity=2)
    await _join(db, gid, ids.engagements[0])
    await _join(db, gid, ids.engagements[1])
    async with db.transaction() as s:
        out = await cancel(
            db=s, booking=await booking(s, gid), by=await person(s, ids.leaders[0]), now=NOW
        )
        assert (out.booking.status, out.booking.seats_taken, out.booking.sequence) == (
            "confirmed",
            1,
            0,
        )
        assert out.notice is not None
    async with db.reading() as s:
        e = await engagement(s, ids.engagements[0])
        assert [g.id for g in await open_groups(db=s, engagement=e, now=NOW)] == [gid]
    again = await _join(db, gid, ids.engagements[0])
    assert again.seats_taken == 2
    async with db.reading() as s:
        seats = (
            await s.scalars(
                select(BookingSeat).where(BookingSeat.booking_id == gid).order_by(BookingSeat.id)
            )
        ).all()
    assert [(x.leader_id, x.status) for x in seats] == [
        (ids.leaders[0], "cancelled"),
        (ids.leaders[1], "confirmed"),
        (ids.leaders[0], "confirmed"),
    ]


async def test_coach_cancel_cancels_every_seat(db: Database) -> None:
    ids = await build(db, leaders=2)
    gid = await _group(db, ids)
    await _join(db, gid, ids.engagements[0])
    await _join(db, gid, ids.engagements[1])
    async with db.transaction() as s:
        out = await cancel(
            db=s, booking=await booking(s, gid), by=await person(s, ids.coach), now=NOW
        )
        b = out.booking
        assert (b.status, b.seats_taken, b.sequence) == ("cancelled", 0, 1)
        assert [x.status for x in b.seats] == ["cancelled", "cancelled"]
    with pytest.raises(NotLive):
        await _join(db, gid, ids.engagements[0])


async def test_open_groups_lists_what_the_leader_can_join(db: Database) -> None:
    ids = await build(db, leaders=2, cohort="2026-A")
    whole = await _group(db, ids, starts_at=at(9).starts_at)
    mine = await _group(db, ids, starts_at=at(11).starts_at, cohort="2026-A")
    await _group(db, ids, starts_at=at(13).starts_at, cohort="2026-B")  # another cohort
    full = await _group(db, ids, starts_at=at(15).starts_at, capacity=2)
    joined = await _group(db, ids, starts_at=at(24 + 9).starts_at)
    await _join(db, full, ids.engagements[1])
    async with db.transaction() as s:
        await s.execute(update(Booking).where(Booking.id == full).values(seats_taken=2))
    await _join(db, joined, ids.engagements[0])
    async with db.reading() as s:
        e = await engagement(s, ids.engagements[0])
        assert [g.id for g in await open_groups(db=s, engagement=e, now=NOW)] == [whole, mine]
        later = at(10).starts_at
        assert [g.id for g in await open_groups(db=s, engagement=e, now=later)] == [mine]
    async with db.transaction() as s:
        await s.execute(update(Person).where(Person.id == ids.leaders[0]).values(cohort=None))
    async with db.reading() as s:
        e = await engagement(s, ids.engagements[0])
        assert [g.id for g in await open_groups(db=s, engagement=e, now=NOW)] == [whole]
