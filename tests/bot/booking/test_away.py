"""A coach's away time: blocks booking, keeps the sessions already inside it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.booking.errors import BadAway, NotYours, SlotUnavailable
from bot.booking.service import add_away, book, remove_away
from prompts import Copy
from storage.db import Database
from storage.models import Booking, CoachBusy
from tests.bot.booking.service_world import NOW, Ids, at, build, counts, engagement, person


async def _away(
    db: Database, ids: Ids, start: datetime, end: datetime, who: int | None = None
) -> tuple[int, list[int]]:
    async with db.transaction() as s:
        block, clashes = await add_away(
            db=s, coach=await person(s, who or ids.coach), starts_at=start, ends_at=end, now=NOW
        )
        return block.id, [b.id for b in clashes]


async def test_away_blocks_booking_and_lists_the_sessions_inside_it(db: Database) -> None:
    ids = await build(db, leaders=2)
    async with db.transaction() as s:
        out = await book(
            db=s, engagement=await engagement(s, ids.engagements[0]), slot=at(9), now=NOW
        )
        bid = out.booking.id
    block, clashes = await _away(db, ids, at(8).starts_at, at(12).starts_at)
    assert clashes == [bid]
    async with db.reading() as s:
        row = await s.get(CoachBusy, block)
        assert row is not None and (row.source, row.coach_id) == ("away", ids.coach)
        kept = await s.get(Booking, bid)
        assert kept is not None and kept.status == "confirmed"  # kept: the coach decides
    before = await counts(db)
    with pytest.raises(SlotUnavailable):
        async with db.transaction() as s:
            await book(
                db=s, engagement=await engagement(s, ids.engagements[1]), slot=at(11), now=NOW
            )
    assert await counts(db) == before


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (at(12).starts_at, at(9).starts_at, "order"),
        (at(9).starts_at, at(9).starts_at, "order"),
        (NOW - timedelta(days=2), NOW, "over"),
        (at(9).starts_at, at(9).starts_at + timedelta(days=91), "too_long"),
    ],
)
async def test_bad_away_changes_nothing(
    db: Database, start: datetime, end: datetime, reason: str
) -> None:
    ids = await build(db)
    before = await counts(db)
    with pytest.raises(BadAway) as err:
        await _away(db, ids, start, end)
    assert err.value.why == reason and err.value.key == f"booking_errors.away_{reason}"
    assert Copy("en").has(err.value.key)
    assert await counts(db) == before


async def test_away_that_started_but_has_not_ended_is_fine(db: Database) -> None:
    ids = await build(db)
    block, clashes = await _away(db, ids, NOW - timedelta(hours=1), NOW + timedelta(days=89))
    assert block and clashes == []


async def test_only_coaches_set_away_and_only_their_own_is_removed(db: Database) -> None:
    ids = await build(db, coaches=2)
    with pytest.raises(NotYours):
        await _away(db, ids, at(9).starts_at, at(10).starts_at, who=ids.leaders[0])
    mine, _ = await _away(db, ids, at(9).starts_at, at(10).starts_at)
    async with db.transaction() as s:
        synced = CoachBusy(
            coach_id=ids.coach,
            source="calendar",
            starts_at=at(13).starts_at,
            ends_at=at(14).starts_at,
            created_at=NOW,
        )
        s.add(synced)
        await s.flush()
        synced_id = synced.id
    for who, away_id in ((ids.coaches[1], mine), (ids.coach, synced_id), (ids.coach, 999)):
        with pytest.raises(NotYours):
            async with db.transaction() as s:
                await remove_away(db=s, coach=await person(s, who), away_id=away_id)
    async with db.transaction() as s:
        await remove_away(db=s, coach=await person(s, ids.coach), away_id=mine)
    async with db.reading() as s:
        assert (await s.scalars(select(CoachBusy.id))).all() == [synced_id]
