"""The in-process scheduler: every job of bot.jobs.JOBS on an interval, one instance at a time.

APScheduler 3.x runs the table; per-person times live in rows the sweeps read, so several
replicas can each run this scheduler safely (every sweep claims its rows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import JOBS, Job, JobContext, run_job


async def _tick(ctx: JobContext, job: Job, clock: Callable[[], datetime]) -> None:
    await run_job(ctx, job, clock())


def build_scheduler(
    ctx: JobContext, clock: Callable[[], datetime], *, first_run: datetime | None = None
) -> AsyncIOScheduler:
    """A (not yet started) scheduler with every job of the table, each at its interval.

    `first_run` (real wall-clock time) runs every job once right after start, so a restart
    catches up at once instead of one interval later.
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    for job in JOBS:
        seconds = job.every.total_seconds()
        scheduler.add_job(
            _tick,
            trigger=IntervalTrigger(seconds=seconds, timezone=UTC),
            args=(ctx, job, clock),
            id=job.id,
            name=job.doc,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            # A run late by less than one interval still happens (3.x defaults to 1 s).
            misfire_grace_time=max(1, int(seconds)),
            **({"next_run_time": first_run} if first_run is not None else {}),
        )
    return scheduler


def scheduler_state(scheduler: AsyncIOScheduler) -> dict[str, object]:
    """For /healthz: whether the scheduler runs, and each job's id and next run (ISO UTC)."""
    order = {job.id: index for index, job in enumerate(JOBS)}
    jobs: list[dict[str, object]] = []
    for job in sorted(scheduler.get_jobs(), key=lambda j: (order.get(j.id, len(order)), j.id)):
        next_run = getattr(job, "next_run_time", None)
        jobs.append(
            {
                "id": job.id,
                "next_run": next_run.astimezone(UTC).isoformat() if next_run else None,
            }
        )
    return {"running": bool(scheduler.running), "jobs": jobs}
