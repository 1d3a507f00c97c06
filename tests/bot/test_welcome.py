"""The welcome sweep: the leader's local working hours and start date, once only, across DST."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from bot.flows.welcome import welcome_due
from bot.ui import Message
from bot.worktime import next_work_start
from storage.db import Database
from storage.models import Engagement, OutboxMessage, Person
from tests.factories import make_world


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def setup(
    db: Database,
    *,
    zone: str = "America/New_York",
    started: date = date(2026, 11, 2),
    starts: time = time(9),
    ends: time = time(17, 30),
) -> int:
    """make_world, with the leader's zone, working hours and engagement start adjusted."""
    async with db.transaction() as s:
        w = await make_world(s)
        w.leader.timezone = zone
        w.leader.workday_starts, w.leader.workday_ends = starts, ends
        w.engagement.started_on = started
    return w.engagement.id


async def sweep(db: Database, now: datetime) -> int:
    async with db.transaction() as s:
        return await welcome_due(db=s, now=now)


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.reading() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def welcomed_at(db: Database, engagement_id: int) -> datetime | None:
    async with db.reading() as s:
        engagement = await s.get(Engagement, engagement_id)
        assert engagement is not None
        return engagement.welcomed_at


async def first_welcome(db: Database, engagement_id: int, times: list[datetime]) -> datetime:
    """Sweep at each time in turn; return the time of the sweep that welcomed."""
    for now in times:
        if await sweep(db, now):
            found = await welcomed_at(db, engagement_id)
            assert found == now
            return now
    raise AssertionError("never welcomed")


def every(
    start: datetime, end: datetime, step: timedelta = timedelta(minutes=30)
) -> list[datetime]:
    out = []
    while start <= end:
        out.append(start)
        start += step
    return out


async def test_welcome_waits_for_local_working_hours_not_3_am(db: Database) -> None:
    engagement_id = await setup(db)
    # 08:00 UTC on Monday 2 Nov is 03:00 in New York (EST since 1 Nov): too early.
    assert await sweep(db, utc(2026, 11, 2, 8)) == 0
    assert await outbox(db) == []
    assert await sweep(db, utc(2026, 11, 2, 14)) == 1  # 09:00 EST
    leader_row, coach_row = await outbox(db)
    assert leader_row.dedupe_key == f"welcome:leader:{engagement_id}"
    assert coach_row.dedupe_key == f"welcome:coach:{engagement_id}"
    assert leader_row.kind == coach_row.kind == "welcome"
    async with db.reading() as s:
        leader = await s.scalar(select(Person).where(Person.email == "leader@example.com"))
        coach = await s.scalar(select(Person).where(Person.email == "coach@example.com"))
    assert leader is not None and coach is not None
    assert (leader_row.person_id, coach_row.person_id) == (leader.id, coach.id)
    to_leader = Message.from_payload(leader_row.payload)
    assert "Leadership Programme" in to_leader.text and "Sam" in to_leader.text
    assert "Ana Ruiz" in to_leader.text and {b.value for b in to_leader.buttons} == {
        "book",
        "sessions",
        "help",
    }
    to_coach = Message.from_payload(coach_row.payload)
    assert "Sam Lee" in to_coach.text and to_coach.facts[0].value == "America/New_York"
    # 14:00 UTC is 15:00 in Madrid: the coach is at work, so their note is due now too.
    assert leader_row.next_attempt_at == coach_row.next_attempt_at == utc(2026, 11, 2, 14)
    assert leader_row.channel == "web" and leader_row.status == "pending"


async def test_welcome_is_sent_once_across_repeated_sweeps(db: Database) -> None:
    engagement_id = await setup(db)
    now = utc(2026, 11, 2, 14)
    assert await sweep(db, now) == 1
    for later in (now, now + timedelta(minutes=5), now + timedelta(days=1)):
        assert await sweep(db, later) == 0
    assert len(await outbox(db)) == 2
    assert await welcomed_at(db, engagement_id) == now


async def test_concurrent_sweeps_welcome_once(db: Database) -> None:
    await setup(db)
    other = Database(db.url, db.keyring)
    try:

        async def sweep_on(database: Database) -> int:
            async with database.transaction() as s:
                return await welcome_due(db=s, now=utc(2026, 11, 2, 14))

        counts = await asyncio.gather(sweep_on(db), sweep_on(other), sweep_on(db))
    finally:
        await other.dispose()
    assert sum(counts) == 1 and len(await outbox(db)) == 2


async def test_new_york_dst_end_week_welcomes_at_local_nine(db: Database) -> None:
    # Clocks went back on Sunday 1 Nov 2026: 09:00 on Monday is 14:00 UTC, not 13:00.
    engagement_id = await setup(db)
    times = every(utc(2026, 11, 1, 0), utc(2026, 11, 3, 0))
    assert await first_welcome(db, engagement_id, times) == utc(2026, 11, 2, 14)


async def test_london_dst_end_welcomes_at_local_nine(db: Database) -> None:
    # BST ended on Sunday 25 Oct 2026: Monday 26 Oct 09:00 in London is 09:00 UTC.
    engagement_id = await setup(db, zone="Europe/London", started=date(2026, 10, 26))
    times = every(utc(2026, 10, 24, 0), utc(2026, 10, 27, 0))
    assert await first_welcome(db, engagement_id, times) == utc(2026, 10, 26, 9)


async def test_london_dst_start_welcomes_at_local_nine(db: Database) -> None:
    # BST began on Sunday 29 Mar 2026: Monday 30 Mar 09:00 in London is 08:00 UTC.
    engagement_id = await setup(db, zone="Europe/London", started=date(2026, 3, 30))
    times = every(utc(2026, 3, 28, 0), utc(2026, 3, 31, 0))
    assert await first_welcome(db, engagement_id, times) == utc(2026, 3, 30, 8)


async def test_not_before_the_start_date_in_the_leaders_zone(db: Database) -> None:
    # Auckland is UTC+13 in November: its 3 Nov starts while UTC is still on 2 Nov.
    engagement_id = await setup(db, zone="Pacific/Auckland", started=date(2026, 11, 3))
    assert await sweep(db, utc(2026, 11, 1, 20)) == 0  # Auckland Mon 2 Nov 09:00: too soon
    assert await sweep(db, utc(2026, 11, 2, 20)) == 1  # Auckland Tue 3 Nov 09:00
    assert await welcomed_at(db, engagement_id) == utc(2026, 11, 2, 20)


async def test_not_before_the_start_date_when_utc_is_already_there(db: Database) -> None:
    # A leader who works any hour: at 03:00 UTC on 2 Nov it is still 1 Nov in New York.
    await setup(db, starts=time(0), ends=time(23, 59))
    assert await sweep(db, utc(2026, 11, 2, 3)) == 0
    assert await sweep(db, utc(2026, 11, 2, 5)) == 1  # 00:00 EST on 2 Nov


async def test_paused_or_coachless_engagements(db: Database) -> None:
    engagement_id = await setup(db)
    async with db.transaction() as s:
        engagement = await s.get(Engagement, engagement_id)
        assert engagement is not None
        engagement.status = "paused"
    assert await sweep(db, utc(2026, 11, 2, 14)) == 0
    async with db.transaction() as s:
        engagement = await s.get(Engagement, engagement_id)
        assert engagement is not None
        engagement.status, engagement.coach_id = "active", None
    assert await sweep(db, utc(2026, 11, 2, 14)) == 1
    [row] = await outbox(db)
    assert "type `book` to see the three who fit you best" in Message.from_payload(row.payload).text


async def test_coach_note_waits_for_the_coachs_working_hours(db: Database) -> None:
    # A Los Angeles leader at 09:00 PST is 18:00 in Madrid: the coach hears next morning.
    await setup(db, zone="America/Los_Angeles")
    assert await sweep(db, utc(2026, 11, 2, 17)) == 1
    leader_row, coach_row = await outbox(db)
    assert leader_row.next_attempt_at == utc(2026, 11, 2, 17)
    assert coach_row.next_attempt_at == utc(2026, 11, 3, 8)  # 09:00 CET


def test_next_work_start_handles_overnight_hours() -> None:
    person = Person(timezone="Europe/Madrid", workday_starts=time(22), workday_ends=time(6), id=1)
    assert next_work_start(person, utc(2026, 11, 2, 23)) == utc(2026, 11, 2, 23)
    assert next_work_start(person, utc(2026, 11, 2, 12)) == utc(2026, 11, 2, 21)
