"""The fixed table of sweep jobs: named module-level functions, each over rows, each idempotent."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError

from bot.booking.calendar import sync_busy
from bot.booking.reminder_times import reminder_instants
from bot.booking.reminders import remind_due
from bot.brief_sweep import brief_sweep, brief_times
from bot.dispatcher import Dispatcher
from bot.flows.welcome import welcome_due
from bot.llm import LLM
from bot.nudges.nonresponders import reminder_instants as nudge_reminder_instants
from bot.nudges.plans import ensure_plans
from bot.nudges.sweep import SweepResult, due_instants, nudge_due, remind_nonresponders
from bot.ports import CalendarPort
from bot.reporting.sync import SyncReport, is_due, is_migrated, sync
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What every sweep job gets: the database, the outbox dispatcher, a calendar if connected."""

    database: Database
    dispatcher: Dispatcher
    calendar: CalendarPort | None = None
    replayers: tuple[Callable[[datetime], Awaitable[int]], ...] = ()
    llm: LLM | None = None
    """The optional model (a labelled synthesis in briefs); everything works without it."""
    """Chat edges' replays of inbound events recorded but never handled (a crash after the ack)."""
    reporting: Database | None = None
    """The reporting store the `reporting` job syncs to (None: the job does nothing)."""


@dataclass(frozen=True)
class Job:
    """One named sweep: what it runs, how often, and a line saying what it does."""

    id: str
    run: Callable[[JobContext, datetime], Awaitable[str]]
    every: timedelta
    doc: str
    due: Callable[[JobContext, datetime, datetime], Awaitable[list[datetime]]] | None = None
    """Optional: the exact instants in (start, end] when this job has work (for clock jumps)."""


async def welcome_sweep(ctx: JobContext, now: datetime) -> str:
    """Welcome newly started leaders (and tell their coaches) in the leader's working hours."""
    async with ctx.database.transaction() as db:
        count = await welcome_due(db=db, now=now)
    return f"{count} welcomed"


async def reminders_sweep(ctx: JobContext, now: datetime) -> str:
    """Queue session reminders (per programme offsets, e.g. 24 h and 1 h) that are due."""
    async with ctx.database.transaction() as db:
        count = await remind_due(db=db, now=now)
    return f"{count} reminders"


async def reminder_times(ctx: JobContext, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] when a reminder falls due."""
    async with ctx.database.reading() as db:
        return await reminder_instants(db=db, start=start, end=end)


async def calendar_sweep(ctx: JobContext, now: datetime) -> str:
    """Refresh connected coaches' busy time from their calendars over the booking horizon."""
    if ctx.calendar is None:
        return "0 calendars synced (no calendar service connected)"
    count = await sync_busy(database=ctx.database, calendar=ctx.calendar, now=now)
    return f"{count} calendars synced"


async def nudges_sweep(ctx: JobContext, now: datetime) -> str:
    """Plan new leaders' nudges, send or skip the due ones in batches, remind non-responders."""
    async with ctx.database.transaction() as db:
        planned = await ensure_plans(db=db, now=now)
    total = SweepResult()
    while True:
        async with ctx.database.transaction() as db:
            batch = await nudge_due(db=db, now=now)
        total.add(batch)
        if batch.claimed < 500:
            break
    async with ctx.database.transaction() as db:
        reminded = await remind_nonresponders(db=db, now=now)
    return (
        f"{total.sent} nudges sent, {total.skipped} skipped, {total.deferred} deferred, "
        f"{reminded} reminded, {planned} planned"
    )


async def nudge_times(ctx: JobContext, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] when a nudge or a nudge reminder falls due."""
    async with ctx.database.reading() as db:
        plans = await due_instants(db=db, start=start, end=end)
        reminders = await nudge_reminder_instants(db=db, start=start, end=end)
    return sorted({*plans, *reminders})


async def briefs_sweep(ctx: JobContext, now: datetime) -> str:
    """Send each coach the brief of every session due for one (with the synthesis if a model)."""
    return await brief_sweep(ctx, now, llm=ctx.llm)


REPORTING_EVERY = timedelta(hours=1)
REPORTING_SLACK = timedelta(minutes=5)
"""A run this close to the hour counts as due (the scheduler's ticks are not exact)."""


async def reporting_sweep(ctx: JobContext, now: datetime) -> str:
    """Copy what changed into the reporting store (pseudonymous facts, never text), hourly."""
    if ctx.reporting is None:
        return "0 rows synced (no reporting store)"
    try:
        due = await is_due(ctx.reporting, now, REPORTING_EVERY - REPORTING_SLACK)
    except DBAPIError:
        if await is_migrated(ctx.reporting):
            raise
        log.warning("the reporting store is not migrated: run `python app.py db upgrade`")
        return "0 rows synced (the reporting store is not migrated: run `db upgrade`)"
    if not due:
        return SyncReport().summary()  # synced less than an hour ago: same shape, all zero
    report = await sync(
        source=ctx.database, target=ctx.reporting, keyring=ctx.database.keyring, now=now
    )
    return report.summary()


async def inbox_sweep(ctx: JobContext, now: datetime) -> str:
    """Handle chat events that were recorded and acknowledged but never handled."""
    done = 0
    for replay in ctx.replayers:
        done += await replay(now)
    return f"{done} inbox events replayed"


async def outbox_sweep(ctx: JobContext, now: datetime) -> str:
    """Deliver every due outbox row: the safety net behind the edges' wake-ups."""
    report = await ctx.dispatcher.dispatch_due(now=now)
    return report.summary()


# Outbox last: whatever the other sweeps queued goes out in the same run.
JOBS: tuple[Job, ...] = (
    Job("welcome", welcome_sweep, timedelta(minutes=5), "welcome new leaders and tell coaches"),
    Job(
        "reminders",
        reminders_sweep,
        timedelta(minutes=5),
        "remind both parties before sessions",
        due=reminder_times,
    ),
    Job(
        "briefs",
        briefs_sweep,
        timedelta(minutes=5),
        "send coaches their pre-session briefs",
        due=brief_times,
    ),
    Job("calendar", calendar_sweep, timedelta(minutes=10), "read coaches' calendar busy time"),
    Job(
        "nudges",
        nudges_sweep,
        timedelta(minutes=5),
        "send weekly reflection and check-in nudges",
        due=nudge_times,
    ),
    Job("reporting", reporting_sweep, REPORTING_EVERY, "copy facts to the reporting store"),
    Job("inbox", inbox_sweep, timedelta(minutes=1), "handle chat events lost after their ack"),
    Job("outbox", outbox_sweep, timedelta(seconds=15), "deliver due outbox messages"),
)


async def run_job(ctx: JobContext, job: Job, now: datetime) -> str:
    """Run one job at `now`; a failure is logged and summarised, never raised to the caller."""
    try:
        return await job.run(ctx, now)
    except Exception as exc:
        log.exception("job %s failed", job.id)
        return f"FAILED ({type(exc).__name__})"


async def run_due(ctx: JobContext, *, now: datetime) -> list[tuple[str, str]]:
    """Run every job once at `now`, in table order; returns (job id, one-line summary) pairs."""
    return [(job.id, await run_job(ctx, job, now)) for job in JOBS]


def sweep_step(span: timedelta) -> timedelta:
    """The step to sweep a clock jump of `span` with: 15 minutes up to a day, else an hour."""
    return timedelta(minutes=15) if span <= timedelta(days=1) else timedelta(hours=1)


async def run_due_through(
    ctx: JobContext, *, start: datetime, end: datetime, step: timedelta
) -> list[tuple[str, str]]:
    """Run every job at start+step, start+2*step, ... and at `end`; one summary per job.

    Time-of-day work (a welcome in working hours) is done at the instants a jump skips, not only
    at its end; jobs that know their exact due instants (`Job.due`, e.g. reminders) are also run
    at those, so a reminder is sent when it falls due, not at the next step.

    A job that ran more than once gets its runs' summaries added up when they share a shape
    (same words, different numbers: counts are summed), else its last summary, then the number
    of runs and any failures, e.g. "3 welcomed (96 runs)". One run: its summary as is.
    """
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    if end < start:
        raise ValueError("end must not be before start")
    grid: set[datetime] = {end}
    at = start + step
    while at < end:
        grid.add(at)
        at += step
    for job in JOBS:
        if job.due is not None:
            grid.update(await job.due(ctx, start, end))
    instants = sorted(grid)
    runs: dict[str, list[str]] = {job.id: [] for job in JOBS}
    for now in instants:
        for job_id, summary in await run_due(ctx, now=now):
            runs.setdefault(job_id, []).append(summary)
    return [(job_id, _combine(summaries)) for job_id, summaries in runs.items()]


_NUMBER = re.compile(r"\d+")


def _combine(summaries: list[str]) -> str:
    """Many runs' summaries of one job as one line (see run_due_through)."""
    if len(summaries) == 1:
        return summaries[0]
    failed = [s for s in summaries if s.startswith("FAILED")]
    good = [s for s in summaries if not s.startswith("FAILED")]
    note = f"{len(summaries)} runs" + (f", {len(failed)} failed" if failed else "")
    if not good:
        return f"{failed[-1]} ({note})"
    if len({_NUMBER.sub("#", s) for s in good}) > 1:
        return f"last: {good[-1]} ({note})"
    columns = zip(*(_NUMBER.findall(s) for s in good), strict=True)
    totals = iter([str(sum(int(n) for n in column)) for column in columns])
    return f"{_NUMBER.sub(lambda _m: next(totals), good[0])} ({note})"
