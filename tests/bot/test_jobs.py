"""The job table, run_due, and the scheduler built from the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from bot import jobs
from bot import scheduler as scheduler_module
from bot.jobs import JOBS, Job, JobContext, run_due, run_due_through, sweep_step
from bot.scheduler import build_scheduler, scheduler_state
from storage.crypto import Keyring
from storage.db import Database
from storage.models import OutboxMessage
from tests.bot.test_dispatcher import FakeSender, make_dispatcher
from tests.factories import add_booking, make_world

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


def _recording_jobs(
    monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]
) -> dict[str, list[datetime]]:
    """Replace the table by jobs that record their instants and give the answers in turn."""
    seen: dict[str, list[datetime]] = {job_id: [] for job_id in answers}

    def job(job_id: str) -> Job:
        async def run(ctx: JobContext, now: datetime) -> str:
            seen[job_id].append(now)
            answer = answers[job_id][(len(seen[job_id]) - 1) % len(answers[job_id])]
            if answer == "raise":
                raise RuntimeError("the job broke")
            return answer

        return Job(job_id, run, timedelta(minutes=1), job_id)

    monkeypatch.setattr(jobs, "JOBS", tuple(job(job_id) for job_id in answers))
    return seen


@pytest.fixture
def unused_ctx(tmp_path: Path, keyring: Keyring) -> JobContext:
    """A context whose database is never connected (the jobs are fakes)."""
    db = Database(f"sqlite:///{tmp_path}/unused.db", keyring)
    return JobContext(database=db, dispatcher=make_dispatcher(db))


async def test_run_due_through_sweeps_each_step_then_the_end(
    unused_ctx: JobContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _recording_jobs(
        monkeypatch,
        {
            "welcome": ["0 welcomed", "2 welcomed", "1 welcomed"],
            "outbox": ["claimed 0, sent 0, dead 0", "claimed 3, sent 2, dead 1"],
        },
    )
    start, end = MONDAY_9_EST, MONDAY_9_EST + timedelta(hours=1, minutes=10)
    result = await run_due_through(unused_ctx, start=start, end=end, step=timedelta(minutes=15))
    expected = [start + timedelta(minutes=m) for m in (15, 30, 45, 60, 70)]
    assert seen == {"welcome": expected, "outbox": expected}
    assert result == [
        ("welcome", "5 welcomed (5 runs)"),  # 0 + 2 + 1 + 0 + 2, in table order
        ("outbox", "claimed 6, sent 4, dead 2 (5 runs)"),  # 0 + 3 + 0 + 3 + 0
    ]


@pytest.mark.parametrize(
    ("span", "instants"),
    [
        (timedelta(0), [0]),
        (timedelta(minutes=5), [5]),
        (timedelta(minutes=15), [15]),
        (timedelta(minutes=45), [15, 30, 45]),  # a whole number of steps: `end` once
    ],
)
async def test_run_due_through_never_passes_the_end(
    unused_ctx: JobContext, monkeypatch: pytest.MonkeyPatch, span: timedelta, instants: list[int]
) -> None:
    seen = _recording_jobs(monkeypatch, {"only": ["1 done"]})
    step = timedelta(minutes=15)
    start = MONDAY_9_EST
    result = await run_due_through(unused_ctx, start=start, end=start + span, step=step)
    assert seen["only"] == [start + timedelta(minutes=m) for m in instants]
    runs = len(instants)
    assert result == [("only", "1 done" if runs == 1 else f"{runs} done ({runs} runs)")]


async def test_run_due_through_reports_failures_and_unlike_summaries(
    unused_ctx: JobContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    _recording_jobs(
        monkeypatch,
        {
            "flaky": ["2 sent", "raise", "1 sent"],
            "broken": ["raise"],
            "wordy": ["all quiet", "3 waiting, 1 late", "all quiet"],
            "words": ["ok"],
        },
    )
    step = timedelta(hours=1)
    end = MONDAY_9_EST + 3 * step
    assert await run_due_through(unused_ctx, start=MONDAY_9_EST, end=end, step=step) == [
        ("flaky", "3 sent (3 runs, 1 failed)"),
        ("broken", "FAILED (RuntimeError) (3 runs, 3 failed)"),
        ("wordy", "last: all quiet (3 runs)"),
        ("words", "ok (3 runs)"),
    ]


async def test_run_due_through_refuses_a_backward_span_or_a_bad_step(
    unused_ctx: JobContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _recording_jobs(monkeypatch, {"only": ["1 done"]})
    with pytest.raises(ValueError, match="before start"):
        await run_due_through(
            unused_ctx,
            start=MONDAY_9_EST,
            end=MONDAY_9_EST - timedelta(seconds=1),
            step=timedelta(minutes=15),
        )
    for step in (timedelta(0), timedelta(minutes=-15)):
        with pytest.raises(ValueError, match="step"):
            await run_due_through(
                unused_ctx, start=MONDAY_9_EST, end=MONDAY_9_EST + timedelta(hours=1), step=step
            )
    assert seen["only"] == []


def test_sweep_step_is_fine_up_to_a_day_and_hourly_beyond() -> None:
    assert sweep_step(timedelta(hours=1)) == timedelta(minutes=15)
    assert sweep_step(timedelta(days=1)) == timedelta(minutes=15)
    assert sweep_step(timedelta(days=1, seconds=1)) == timedelta(hours=1)
    assert sweep_step(timedelta(weeks=1)) == timedelta(hours=1)


async def test_run_due_through_welcomes_in_working_hours_during_a_jump(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)  # the leader works 09:00-17:30 in New York
    sender = FakeSender("web")
    ctx = JobContext(database=db, dispatcher=make_dispatcher(db, sender))
    tuesday_5_est = datetime(2026, 11, 24, 10, tzinfo=UTC)
    end = tuesday_5_est + timedelta(days=1)  # Wednesday 05:00 EST: outside hours again
    assert dict(await run_due(ctx, now=end))["welcome"] == "0 welcomed"
    result = dict(
        await run_due_through(
            ctx, start=tuesday_5_est, end=end, step=sweep_step(end - tuesday_5_est)
        )
    )
    assert result["welcome"] == "1 welcomed (96 runs)"
    assert result["outbox"].startswith("claimed 2, sent 2,")
    async with db.reading() as s:
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    # Sent at the sweep that found the leader at work (09:00 EST), not at the end of the jump.
    nine_est = datetime(2026, 11, 24, 14, tzinfo=UTC)
    assert [(r.status, r.sent_at) for r in rows] == [("sent", nine_est), ("sent", nine_est)]


async def test_a_long_jump_sweeps_at_each_reminders_exact_instant(db: Database) -> None:
    start = datetime(2026, 11, 24, 10, 7, tzinfo=UTC)  # an odd minute: hourly steps miss :00
    session = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    async with db.transaction() as s:
        w = await make_world(s, now=start)
        add_booking(s, w, session, uid="jump@x")
    ctx = JobContext(database=db, dispatcher=make_dispatcher(db, FakeSender("web")))
    await run_due_through(ctx, start=start, end=start + timedelta(days=7), step=timedelta(hours=1))
    async with db.reading() as s:
        rows = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        ).all()
    due = sorted({r.created_at for r in rows})
    assert due == [session - timedelta(hours=24), session - timedelta(hours=1)]
