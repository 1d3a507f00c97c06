"""book(): a confirmed session with its seat and notices; every refusal changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.booking.errors import (
    AlreadyYourCoach,
    BookingError,
    ChemistryDone,
    CoachNotOffered,
    LeaderBusy,
    NoCoach,
    NoSessionsLeft,
    NotEnrolled,
    NotYourCoach,
    SlotInPast,
    SlotTaken,
    SlotUnavailable,
    ZoneMissing,
)
from bot.booking.model import CHEMISTRY_MINUTES
from bot.booking.service import Outcome, book
from storage.db import Database
from storage.models import Booking, Engagement, Organisation, OutboxMessage, Person, Programme
from tests.bot.booking.service_world import NOW, at, build, counts, engagement, person


async def test_book_writes_booking_seat_and_tells_the_coach(db: Database) -> None:
    ids = await build(db)
    async with db.transaction() as s:
        outcome = await book(
            db=s, engagement=await engagement(s, ids.engagements[0]), slot=at(9), now=NOW
        )
        assert isinstance(outcome, Outcome)
        b = outcome.booking
        assert (b.kind, b.status, b.capacity, b.seats_taken, b.sequence) == (
            "session",
            "confirmed",
            1,
            1,
            0,
        )
        assert b.ics_uid.endswith("@coach-companion")
        assert (b.leader_id, b.coach_id, b.programme_id) == (
            ids.leaders[0],
            ids.coach,
            ids.programme,
        )
        assert b.updated_at == NOW
        [seat] = b.seats
        assert (seat.leader_id, seat.status, seat.starts_at, seat.ends_at) == (
            ids.leaders[0],
            "confirmed",
            at(9).starts_at,
            at(9).ends_at,
        )
        assert seat.engagement_id == ids.engagements[0]
        assert outcome.notice is not None
        assert outcome.notice.attachments  # the leader's own invite
    async with db.reading() as s:
        rows = (await s.scalars(select(OutboxMessage))).all()
    assert [r.person_id for r in rows] == [ids.coach]  # the actor gets the reply, not a row


async def test_chemistry_is_twenty_minutes_once_per_coach_and_not_counted(db: Database) -> None:
    ids = await build(db, coaches=2)
    chem = at(9, minutes=CHEMISTRY_MINUTES)
    async with db.transaction() as s:
        e = await engagement(s, ids.engagements[0])
        coach = await person(s, ids.coaches[1])
        out = await book(db=s, engagement=e, slot=chem, now=NOW, kind="chemistry", coach=coach)
        assert out.booking.kind == "chemistry"
    before = await counts(db)
    with pytest.raises(ChemistryDone) as err:
        async with db.transaction() as s:
            e = await engagement(s, ids.engagements[0])
            coach = await person(s, ids.coaches[1])
            await book(
                db=s, engagement=e, slot=at(11, minutes=20), now=NOW, kind="chemistry", coach=coach
            )
    assert err.value.values == {"coach": "Coach1"}
    assert await counts(db) == before
    with pytest.raises(SlotUnavailable):  # a one-hour chemistry call is the wrong length
        async with db.transaction() as s:
            e = await engagement(s, ids.engagements[0])
            coach = await person(s, ids.coaches[1])
            await book(db=s, engagement=e, slot=at(13), now=NOW, kind="chemistry", coach=coach)
    with pytest.raises(AlreadyYourCoach):  # a chemistry call is for meeting other coaches
        async with db.transaction() as s:
            e = await engagement(s, ids.engagements[0])
            own = await person(s, ids.coach)
            await book(db=s, engagement=e, slot=chem, now=NOW, kind="chemistry", coach=own)
    from bot.booking.allowance import sessions_used

    async with db.reading() as s:
        assert await sessions_used(db=s, engagement=await engagement(s, ids.engagements[0])) == 0


async def _refused(db: Database, ids_engagement: int, slot_hour: int = 9) -> BookingError:
    before = await counts(db)
    with pytest.raises(BookingError) as err:
        async with db.transaction() as s:
            await book(
                db=s, engagement=await engagement(s, ids_engagement), slot=at(slot_hour), now=NOW
            )
    assert await counts(db) == before
    return err.value


async def test_slot_in_past_changes_nothing(db: Database) -> None:
    ids = await build(db)
    before = await counts(db)
    with pytest.raises(SlotInPast):
        async with db.transaction() as s:
            e = await engagement(s, ids.engagements[0])
            await book(db=s, engagement=e, slot=at(9, day=NOW - timedelta(hours=9)), now=NOW)
    assert await counts(db) == before


async def test_slot_no_longer_free_is_taken(db: Database) -> None:
    ids = await build(db, leaders=2)
    async with db.transaction() as s:
        await book(db=s, engagement=await engagement(s, ids.engagements[0]), slot=at(9), now=NOW)
    err = await _refused(db, ids.engagements[1])
    assert isinstance(err, SlotTaken)
    # right after it, inside the coach's buffer: still "taken" (by that booking), not "unavailable"
    assert isinstance(await _refused(db, ids.engagements[1], 10), SlotTaken)
    assert isinstance(await _refused(db, ids.engagements[1], 20), SlotUnavailable)  # after hours


@pytest.mark.parametrize("hour", [6, 19])
async def test_outside_availability_is_unavailable(db: Database, hour: int) -> None:
    ids = await build(db)
    assert isinstance(await _refused(db, ids.engagements[0], hour), SlotUnavailable)


async def test_inside_minimum_notice_is_unavailable(db: Database) -> None:
    ids = await build(db)
    before = await counts(db)
    with pytest.raises(SlotUnavailable):
        async with db.transaction() as s:
            e = await engagement(s, ids.engagements[0])
            await book(
                db=s, engagement=e, slot=at(9, day=NOW.replace(hour=0) + timedelta(days=1)), now=NOW
            )
    assert await counts(db) == before


async def test_wrong_length_is_unavailable(db: Database) -> None:
    ids = await build(db)
    before = await counts(db)
    with pytest.raises(SlotUnavailable):
        async with db.transaction() as s:
            await book(
                db=s,
                engagement=await engagement(s, ids.engagements[0]),
                slot=at(9, minutes=90),
                now=NOW,
            )
    assert await counts(db) == before


async def test_no_sessions_left_changes_nothing(db: Database) -> None:
    ids = await build(db, sessions=2)
    for hour in (9, 11):
        async with db.transaction() as s:
            await book(
                db=s, engagement=await engagement(s, ids.engagements[0]), slot=at(hour), now=NOW
            )
    err = await _refused(db, ids.engagements[0], 13)
    assert isinstance(err, NoSessionsLeft)
    assert err.values == {"allowed": 2}


@pytest.mark.parametrize("zone", ["", "Mars/Base"])
@pytest.mark.parametrize("who", ["leader", "coach"])
async def test_missing_time_zone_changes_nothing(db: Database, zone: str, who: str) -> None:
    ids = await build(db)
    target = ids.leaders[0] if who == "leader" else ids.coach
    async with db.transaction() as s:
        await s.execute(update(Person).where(Person.id == target).values(timezone=zone))
    err = await _refused(db, ids.engagements[0])
    assert isinstance(err, ZoneMissing)
    assert err.values == {"name": "Leader0" if who == "leader" else "Coach0"}


async def test_not_enrolled_and_no_coach(db: Database) -> None:
    ids = await build(db, leaders=2)
    async with db.transaction() as s:
        await s.execute(
            update(Engagement).where(Engagement.id == ids.engagements[0]).values(status="completed")
        )
        await s.execute(
            update(Engagement).where(Engagement.id == ids.engagements[1]).values(coach_id=None)
        )
    assert isinstance(await _refused(db, ids.engagements[0]), NotEnrolled)
    assert isinstance(await _refused(db, ids.engagements[1]), NoCoach)


async def test_leader_busy_when_their_own_seat_overlaps(db: Database) -> None:
    ids = await build(db, coaches=2)
    async with db.transaction() as s:
        await book(db=s, engagement=await engagement(s, ids.engagements[0]), slot=at(9), now=NOW)
    before = await counts(db)
    with pytest.raises(LeaderBusy):
        async with db.transaction() as s:
            e = await engagement(s, ids.engagements[0])
            other = await person(s, ids.coaches[1])
            slot = at(9, 30, minutes=20)
            await book(db=s, engagement=e, slot=slot, now=NOW, coach=other, kind="chemistry")
    assert await counts(db) == before


async def test_sessions_only_with_the_leaders_own_coach_of_their_organisation(
    db: Database,
) -> None:
    ids = await build(db, coaches=2)
    before = await counts(db)
    with pytest.raises(NotYourCoach):
        async with db.transaction() as s:
            e = await engagement(s, ids.engagements[0])
            await book(
                db=s, engagement=e, slot=at(9), now=NOW, coach=await person(s, ids.coaches[1])
            )
    async with db.transaction() as s:
        elsewhere = Organisation(slug="other", name="Other", created_at=NOW)
        s.add(elsewhere)
        await s.flush()
        stranger = await person(s, ids.coaches[1])
        stranger.organisation_id = elsewhere.id
    with pytest.raises(CoachNotOffered):
        async with db.transaction() as s:
            e = await engagement(s, ids.engagements[0])
            slot = at(9, minutes=20)
            other = await person(s, ids.coaches[1])
            await book(db=s, engagement=e, slot=slot, now=NOW, coach=other, kind="chemistry")
    assert await counts(db) == before


async def test_programme_end_caps_the_horizon(db: Database) -> None:
    ids = await build(db)
    async with db.transaction() as s:
        await s.execute(
            update(Programme)
            .where(Programme.id == ids.programme)
            .values(ends_on=NOW.date() + timedelta(days=3))
        )
    assert isinstance(await _refused(db, ids.engagements[0]), SlotUnavailable)


async def test_refusal_inside_a_transaction_leaves_it_usable(db: Database) -> None:
    ids = await build(db, leaders=2)
    async with db.transaction() as s:
        await book(db=s, engagement=await engagement(s, ids.engagements[0]), slot=at(9), now=NOW)
        with pytest.raises(SlotTaken):
            await book(
                db=s, engagement=await engagement(s, ids.engagements[1]), slot=at(9), now=NOW
            )
        await book(db=s, engagement=await engagement(s, ids.engagements[1]), slot=at(13), now=NOW)
    async with db.reading() as s:
        assert len((await s.scalars(select(Booking))).all()) == 2


SPRING = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # US clocks changed 14 Mar, UK's on 28 Mar


@pytest.mark.parametrize(
    ("day", "hour", "minute", "ok"),
    [
        (16, 8, 0, True),  # London still on GMT: 08:00 there is 08:00 UTC (04:00 in New York)
        (16, 7, 30, False),  # 07:30 London: before the coach's day
        (30, 7, 0, True),  # London on BST now: 08:00 there is 07:00 UTC
        (30, 16, 0, True),  # 17:00-18:00 London
        (30, 17, 0, False),  # 18:00-19:00 London: after the coach's day
    ],
)
async def test_booking_across_the_spring_clock_changes(
    db: Database, day: int, hour: int, minute: int, ok: bool
) -> None:
    ids = await build(db)
    slot = at(hour, minute, day=datetime(2027, 3, day, tzinfo=UTC))
    before = await counts(db)
    try:
        async with db.transaction() as s:
            out = await book(
                db=s, engagement=await engagement(s, ids.engagements[0]), slot=slot, now=SPRING
            )
            assert out.booking.starts_at == slot.starts_at
    except SlotUnavailable:
        assert not ok
        assert await counts(db) == before
    else:
        assert ok
