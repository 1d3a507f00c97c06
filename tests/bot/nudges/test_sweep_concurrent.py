"""Two sweepers at once on PostgreSQL, 1,000 leaders, 4 simulated weeks: one nudge a week each."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.nudges.schedule import period_of
from storage.db import Database
from storage.models import Engagement, Nudge, OutboxMessage, Person, Programme
from tests.bot.nudges.test_sweep_kit import sweep
from tests.factories import make_world

LEADERS = 1000
ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata")
FIRST_SUNDAY = datetime(2026, 11, 29, 18, tzinfo=UTC)
WEEKS = 4


async def many_leaders(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        w = await make_world(s, now)
        programme = await s.get(Programme, w.programme.id)
        assert programme is not None
        programme.reflection_weekday, programme.reflection_time = 0, time(9)
        people = [
            Person(
                organisation_id=w.org.id,
                email=f"leader{n}@example.com",
                name=f"Leader {n}",
                role="leader",
                timezone=ZONES[n % len(ZONES)],
                created_at=now,
                updated_at=now,
            )
            for n in range(LEADERS - 1)
        ]
        s.add_all(people)
        await s.flush()
        s.add_all(
            Engagement(
                leader_id=p.id,
                coach_id=w.coach.id,
                programme_id=w.programme.id,
                started_on=date(2026, 11, 1),
                created_at=now,
            )
            for p in people
        )


def instants() -> list[datetime]:
    """Every hour from Sunday 18:00 UTC to Tuesday 18:00 UTC of each week."""
    out: list[datetime] = []
    for week in range(WEEKS):
        start = FIRST_SUNDAY + timedelta(days=7 * week)
        out.extend(start + timedelta(hours=n) for n in range(49))
    return out


async def sweeper(db: Database, steps: list[datetime], barrier: asyncio.Barrier) -> None:
    for now in steps:
        await barrier.wait()  # both sweep the same virtual instant, in separate transactions
        await sweep(db, now)


async def test_two_sweepers_send_exactly_one_nudge_per_leader_per_week(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("SKIP LOCKED claims between two sweepers: PostgreSQL only")
    setup = FIRST_SUNDAY - timedelta(days=2)
    await many_leaders(db, setup)
    await sweep(db, setup)
    barrier = asyncio.Barrier(2)
    steps = instants()
    await asyncio.gather(sweeper(db, steps, barrier), sweeper(db, steps, barrier))
    async with db.reading() as s:
        zones = {pid: tz for pid, tz in await s.execute(select(Person.id, Person.timezone))}
        sent = (
            await s.execute(
                select(Nudge.person_id, Nudge.period).where(
                    Nudge.kind == "reflection", Nudge.status != "skipped"
                )
            )
        ).all()
        rows = (
            await s.execute(
                select(OutboxMessage.person_id, OutboxMessage.created_at).where(
                    OutboxMessage.kind == "nudge"
                )
            )
        ).all()
    periods = ["2026-W49", "2026-W50", "2026-W51", "2026-W52"]
    by_nudge = Counter((pid, period) for pid, period in sent)
    assert len(by_nudge) == LEADERS * WEEKS and set(by_nudge.values()) == {1}
    assert {period for _, period in by_nudge} == set(periods)
    by_outbox = Counter((pid, period_of(at, zones[pid])) for pid, at in rows)
    assert by_outbox == by_nudge
