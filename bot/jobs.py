"""The fixed table of sweep jobs: named module-level functions, each over rows, each idempotent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.dispatcher import Dispatcher
from bot.flows.welcome import welcome_due
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What every sweep job gets: the operational database and the outbox dispatcher."""

    database: Database
    dispatcher: Dispatcher


@dataclass(frozen=True)
class Job:
    """One named sweep: what it runs, how often, and a line saying what it does."""

    id: str
    run: Callable[[JobContext, datetime], Awaitable[str]]
    every: timedelta
    doc: str


async def welcome_sweep(ctx: JobContext, now: datetime) -> str:
    """Welcome newly started leaders (and tell their coaches) in the leader's working hours."""
    async with ctx.database.transaction() as db:
        count = await welcome_due(db=db, now=now)
    return f"{count} welcomed"


async def outbox_sweep(ctx: JobContext, now: datetime) -> str:
    """Deliver every due outbox row: the safety net behind the edges' wake-ups."""
    report = await ctx.dispatcher.dispatch_due(now=now)
    return report.summary()


# Outbox last: whatever the other sweeps queued goes out in the same run.
JOBS: tuple[Job, ...] = (
    Job("welcome", welcome_sweep, timedelta(minutes=5), "welcome new leaders and tell coaches"),
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
