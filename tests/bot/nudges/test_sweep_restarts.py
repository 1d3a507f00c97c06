"""Restarts and outages: sweeps just before, at, after and 3 hours late send exactly one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from tests.bot.nudges.test_sweep_kit import nudge_world, nudges, outbox, sweep

# Monday 30 Nov 2026 09:00 in New York (EST, UTC-5).
DUE = datetime(2026, 11, 30, 14, tzinfo=UTC)
SETUP = datetime(2026, 11, 26, 12, tzinfo=UTC)


async def test_sweeps_around_the_due_instant_and_after_an_outage_send_one_each_week(
    db: Database,
) -> None:
    await nudge_world(db, now=SETUP)
    await sweep(db, SETUP)
    for offset in (timedelta(seconds=-1), timedelta(0), timedelta(seconds=30)):
        await sweep(db, DUE + offset)
    assert len(await outbox(db)) == 1
    week2 = DUE + timedelta(days=7)
    await sweep(db, week2 - timedelta(seconds=1))
    assert len(await outbox(db)) == 1
    await sweep(db, week2 + timedelta(hours=3))  # the process was down from 08:59 to 12:00
    await sweep(db, week2 + timedelta(hours=3, seconds=30))
    rows = await outbox(db)
    assert len(rows) == 2
    assert rows[0].created_at == DUE and rows[1].created_at == week2 + timedelta(hours=3)
    sent = await nudges(db)
    assert [n.period for n in sent] == ["2026-W49", "2026-W50"]
    assert [n.status for n in sent] == ["ignored", "sent"]


async def test_a_restart_with_a_new_process_does_not_send_again(db: Database) -> None:
    await nudge_world(db, now=SETUP)
    await sweep(db, SETUP)
    await sweep(db, DUE)
    # a second process comes up and sweeps the same instant: the unique key holds
    await sweep(db, DUE)
    await sweep(db, DUE + timedelta(minutes=5))
    assert len(await outbox(db)) == 1
    assert len(await nudges(db)) == 1
