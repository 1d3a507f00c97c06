"""upcoming(): what a leader and a coach see next, and what they may do with it."""

from __future__ import annotations

from datetime import timedelta

from bot.booking.model import CHEMISTRY_MINUTES
from bot.booking.service import book, cancel, create_group, join_group, upcoming
from storage.db import Database
from storage.models import Programme
from tests.bot.booking.service_world import NOW, at, booking, build, engagement, person


async def test_leader_and_coach_views(db: Database) -> None:
    ids = await build(db, leaders=2, coaches=2)
    async with db.transaction() as s:
        e0, e1 = await engagement(s, ids.engagements[0]), await engagement(s, ids.engagements[1])
        near = (await book(db=s, engagement=e0, slot=at(9), now=NOW)).booking.id
        other = await person(s, ids.coaches[1])
        chem = await book(
            db=s,
            engagement=e0,
            slot=at(14, minutes=CHEMISTRY_MINUTES),
            now=NOW,
            kind="chemistry",
            coach=other,
        )
        gone = (await book(db=s, engagement=e0, slot=at(16), now=NOW)).booking.id
        far = (
            await book(db=s, engagement=e1, slot=at(9, day=at(48).starts_at), now=NOW)
        ).booking.id
        programme = await s.get(Programme, ids.programme)
        assert programme is not None
        group = await create_group(
            db=s,
            coach=await person(s, ids.coach),
            programme=programme,
            cohort=None,
            starts_at=at(11).starts_at,
            minutes=60,
            capacity=5,
            title="Peer circle",
            now=NOW,
        )
        await join_group(db=s, booking=group, engagement=e0, now=NOW)
        await cancel(
            db=s, booking=await booking(s, gone), by=await person(s, ids.leaders[0]), now=NOW
        )
    late = at(9).starts_at - timedelta(hours=2)
    async with db.reading() as s:
        leader = await person(s, ids.leaders[0])
        mine = await upcoming(db=s, person=leader, now=NOW)
        assert [u.booking.id for u in mine] == [near, group.id, chem.booking.id]
        assert [[p.id for p in u.others] for u in mine] == [
            [ids.coach],
            [ids.coach],
            [ids.coaches[1]],
        ]
        assert [(u.can_move, u.late) for u in mine] == [
            (True, False),
            (False, False),
            (False, False),
        ]
        soon = await upcoming(db=s, person=leader, now=late, limit=1)
        assert [(u.booking.id, u.can_move, u.late) for u in soon] == [(near, False, True)]
        coach = await person(s, ids.coach)
        theirs = await upcoming(db=s, person=coach, now=NOW)
        assert [u.booking.id for u in theirs] == [near, group.id, far]
        assert [[p.id for p in u.others] for u in theirs] == [
            [ids.leaders[0]],
            [ids.leaders[0]],
            [ids.leaders[1]],
        ]
        assert all(not u.can_move and not u.late for u in theirs)
        assert [u.booking.id for u in await upcoming(db=s, person=coach, now=at(10).starts_at)] == [
            group.id,
            far,
        ]
