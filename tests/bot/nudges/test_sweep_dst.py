"""DST end to end: a Monday 09:00 reflection arrives at 09:00 local every week of 2026-2027."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.nudges.answers import mark_answered
from bot.nudges.schedule import wall_instant
from bot.nudges.sweep import due_instants
from bot.timefmt import local
from storage.db import Database
from storage.models import Nudge
from tests.bot.nudges.test_sweep_kit import nudge_world, outbox, sweep

FROM = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2028, 1, 1, tzinfo=UTC)
CHANGES = {  # the Sundays of each zone's changes in 2026 and 2027
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)],
    "Europe/London": [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)],
    "Australia/Sydney": [date(2026, 4, 5), date(2026, 10, 4), date(2027, 4, 4), date(2027, 10, 3)],
    "Asia/Kolkata": [],
}


def mondays(start: date, end: date) -> list[date]:
    """Every Monday in [start, end)."""
    day = start + timedelta(days=(7 - start.weekday()) % 7)
    out: list[date] = []
    while day < end:
        out.append(day)
        day += timedelta(days=7)
    return out


async def answer_open(db: Database, now: datetime) -> None:
    """The leader answers every sent nudge (so no back-off spoils the weekly rhythm)."""
    async with db.transaction() as s:
        for nudge in await s.scalars(select(Nudge).where(Nudge.status == "sent")):
            await mark_answered(db=s, nudge=nudge, now=now)


@pytest.mark.parametrize("zone", sorted(CHANGES))
async def test_monday_nine_local_every_week_across_the_changes(db: Database, zone: str) -> None:
    await nudge_world(db, zone=zone, now=FROM)
    instants: set[datetime] = set()
    for sunday in CHANGES[zone]:  # every 5 minutes through the Monday morning after a change
        start = wall_instant(sunday + timedelta(days=1), time(7), zone)
        instants.update(start + timedelta(minutes=5 * n) for n in range(37))
    await sweep(db, FROM)
    now = FROM
    while now < UNTIL:
        async with db.reading() as s:
            due = await due_instants(db=s, start=now, end=now + timedelta(days=8))
        grid = sorted(t for t in instants if now < t <= now + timedelta(days=8))
        step = min([*due[:1], *grid[:1]], default=now + timedelta(days=8))
        if step >= UNTIL:
            break
        await sweep(db, step)
        await answer_open(db, step + timedelta(hours=1))
        now = step
    rows = await outbox(db)
    expected = mondays(FROM.date(), UNTIL.date())
    assert [local(r.created_at, zone).date() for r in rows] == expected
    for row in rows:
        for at in (row.created_at, row.next_attempt_at):
            here = local(at, zone)
            assert (here.weekday(), here.time()) == (0, time(9)), (zone, here)
