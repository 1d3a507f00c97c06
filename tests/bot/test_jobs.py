"""The job table, run_due, and the scheduler built from the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from bot import jobs
from bot import scheduler as scheduler_module
from bot.jobs import JOBS, Job, JobContext, run_due
from bot.scheduler import build_scheduler, scheduler_state
from storage.crypto import Keyring
from storage.db import Database
from storage.models import OutboxMessage
from tests.bot.test_dispatcher import FakeSender, make_dispatcher
from tests.factories import make_world

MONDAY_9_EST = datetime(2026, 11, 2, 14, tzinfo=UTC)


def test_table_has_unique_ids_and_ends_with_the_outbox() -> None:
    ids = [job.id for job in JOBS]
    assert len(ids) == len(set(ids)) and ids[-1] == "outbox"
    assert {"welcome", "outbox"} <= set(ids)
    by_id = {job.id: job for job in JOBS}
    assert by_id["outbox"].every == timedelta(seconds=15)
    assert by_id["welcome"].every == timedelta(minutes=5)
    assert all(job.doc and job.run.__name__ != "<lambda>" for job in JOBS)


async def test_run_due_runs_every_job_once_in_order(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    sender = FakeSender("web")
    ctx = JobContext(database=db, dispatcher=make_dispatcher(db, sender))
    results = await run_due(ctx, now=MONDAY_9_EST)
    assert [job_id for job_id, _ in results] == [job.id for job in JOBS]
    summaries = dict(results)
    assert summaries["welcome"] == "1 welcomed"
    assert summaries["outbox"].startswith("claimed 2, sent 2,")
    # What the welcome sweep queued went out in the same run (the outbox runs last).
    assert len(sender.deliveries) == 2
    async with db.reading() as s:
        statuses = (await s.scalars(select(OutboxMessage.status))).all()
    assert statuses == ["sent", "sent"]
    again = dict(await run_due(ctx, now=MONDAY_9_EST + timedelta(minutes=5)))
    assert again["welcome"] == "0 welcomed" and len(sender.deliveries) == 2


async def test_a_failing_job_does_not_stop_the_others(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def broken(ctx: JobContext, now: datetime) -> str:
        calls.append("broken")
        raise RuntimeError("nope")

    async def fine(ctx: JobContext, now: datetime) -> str:
        calls.append("fine")
        return "ok"

    monkeypatch.setattr(
        jobs,
        "JOBS",
        (
            Job("broken", broken, timedelta(minutes=1), "fails"),
            Job("fine", fine, timedelta(minutes=1), "works"),
        ),
    )
    ctx = JobContext(database=db, dispatcher=make_dispatcher(db))
    assert await run_due(ctx, now=MONDAY_9_EST) == [
        ("broken", "FAILED (RuntimeError)"),
        ("fine", "ok"),
    ]
    assert calls == ["broken", "fine"]


async def test_scheduler_registers_each_job_with_its_options(
    tmp_path: Path, keyring: Keyring
) -> None:
    db = Database(f"sqlite:///{tmp_path}/unused.db", keyring)  # never connected
    ctx = JobContext(database=db, dispatcher=make_dispatcher(db))
    scheduler = build_scheduler(ctx, lambda: MONDAY_9_EST)
    assert scheduler_state(scheduler) == {
        "running": False,
        "jobs": [{"id": job.id, "next_run": None} for job in JOBS],
    }
    scheduler.start()
    try:
        for job in JOBS:
            registered = scheduler.get_job(job.id)
            assert registered is not None
            assert isinstance(registered.trigger, IntervalTrigger)
            assert registered.trigger.interval == job.every
            assert registered.coalesce is True and registered.max_instances == 1
            assert registered.misfire_grace_time == int(job.every.total_seconds())
            assert registered.args[1] is job
        state = scheduler_state(scheduler)
        assert state["running"] is True
        listed = state["jobs"]
        assert isinstance(listed, list) and [j["id"] for j in listed] == [j.id for j in JOBS]
        for entry in listed:
            next_run = datetime.fromisoformat(entry["next_run"])
            assert next_run.utcoffset() == timedelta(0)
        # Building again replaces rather than duplicates.
        rebuilt = build_scheduler(ctx, lambda: MONDAY_9_EST)
        assert [j.id for j in rebuilt.get_jobs()] == [j.id for j in JOBS]
    finally:
        scheduler.shutdown(wait=False)


async def test_a_scheduled_run_calls_the_job_with_the_clock(
    tmp_path: Path, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[JobContext, datetime]] = []

    async def record(ctx: JobContext, now: datetime) -> str:
        seen.append((ctx, now))
        return "ok"

    monkeypatch.setattr(
        scheduler_module, "JOBS", (Job("record", record, timedelta(minutes=1), "records"),)
    )
    db = Database(f"sqlite:///{tmp_path}/unused.db", keyring)
    ctx = JobContext(database=db, dispatcher=make_dispatcher(db))
    scheduler = build_scheduler(ctx, lambda: MONDAY_9_EST)
    [registered] = scheduler.get_jobs()
    assert registered.id == "record"
    await registered.func(*registered.args)
    assert seen == [(ctx, MONDAY_9_EST)]


async def test_first_run_makes_every_job_run_right_after_start(
    tmp_path: Path, keyring: Keyring
) -> None:
    db = Database(f"sqlite:///{tmp_path}/unused.db", keyring)
    ctx = JobContext(database=db, dispatcher=make_dispatcher(db))
    soon = datetime.now(UTC) + timedelta(hours=1)
    scheduler = build_scheduler(ctx, lambda: MONDAY_9_EST, first_run=soon)
    scheduler.start(paused=True)
    try:
        assert {j.id: j.next_run_time for j in scheduler.get_jobs()} == {j.id: soon for j in JOBS}
    finally:
        scheduler.shutdown(wait=False)
