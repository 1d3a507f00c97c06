"""The outbox dispatcher: claims due rows, sends them paced per workspace, marks each outcome.

One pass: claim a batch in a short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, BEGIN
IMMEDIATE on SQLite) and commit the claim before anything is sent; send each bucket's rows in
order, paced by a token bucket; write outcomes in short transactions a few rows at a time
(bot/delivery/outcomes.py: at most 50 rows or 250 ms of sends). A process that dies between a
send and its mark leaves only those in-flight rows claimed; they are sent again once the lease
expires (at-least-once, never twice on the dispatcher's own account). Marks are fenced on the
claim, so a pass that outlived its lease cannot overwrite another pass's outcome.

Outcomes: sent; 429 -> the bucket is held (DeliveryHold) and its claimed rows go back to
pending until the hold ends, the attempt not counted; retryable failure or a sender that
raises -> pending after exponential backoff with jitter, `last_error` kept, dead after
`max_attempts`; non-retryable failure -> dead at once. Rows of a channel with no sender in this
process are not claimed: they stay pending (another replica, or a restart with credentials,
can send them) with `last_error` saying why, and the report counts them as `no_sender`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, nullcontext
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import store
from bot.delivery.outcomes import MarkBuffer, RetryPolicy
from bot.delivery.report import DispatchReport
from bot.delivery.store import Claim
from bot.ports import Failed, RateLimited, Sender, SendResult
from bot.ratelimit import DEFAULT_RATES, Rate, TokenBucket, rate_for
from storage.db import Database

__all__ = ["DispatchReport", "Dispatcher"]

log = logging.getLogger(__name__)

MIN_HOLD = timedelta(seconds=1)
MAX_HOLD = timedelta(days=1)


class _Pass:
    """The time of one pass: its `now` plus however long the clock says it has been running."""

    def __init__(self, now: datetime, clock: Callable[[], datetime]) -> None:
        self.now = now
        self._clock = clock
        self._started = clock()

    def elapsed(self) -> timedelta:
        return max(timedelta(0), self._clock() - self._started)

    def at(self) -> datetime:
        return self.now + self.elapsed()


class Dispatcher:
    """Delivers outbox rows through the senders, paced per bucket, honouring holds and retries."""

    def __init__(
        self,
        *,
        database: Database,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        rates: Mapping[str, Rate] | None = None,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=2),
        batch_size: int = 200,
        rng: random.Random | None = None,
        backoff_base: timedelta = timedelta(seconds=10),
        backoff_cap: timedelta = timedelta(hours=1),
        max_wait: float = 1.0,
        mark_batch: int = 50,
        mark_interval: timedelta = timedelta(milliseconds=250),
        pass_budget: timedelta = timedelta(seconds=10),
        concurrency: int = 8,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if min(max_attempts, batch_size, concurrency, mark_batch) < 1:
            raise ValueError("max_attempts, batch_size, concurrency, mark_batch must be >= 1")
        if pass_budget * 2 > lease:
            raise ValueError("pass_budget must be at most half the lease")
        self.database = database
        self.senders = dict(senders)
        self.clock = clock
        self.rates = {**DEFAULT_RATES, **(rates or {})}
        self.max_attempts = max_attempts
        self.policy = RetryPolicy(
            max_attempts=max_attempts,
            base=backoff_base,
            cap=backoff_cap,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not security
        )
        self.mark_batch = mark_batch
        self.mark_interval = mark_interval
        self.lease = lease
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.pass_budget = pass_budget
        self._sleep = sleep
        self._slots = asyncio.Semaphore(concurrency)
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._queued: asyncio.Future[DispatchReport] | None = None
        self._unsendable: dict[str, int] = {}

    async def dispatch_due(self, *, now: datetime) -> DispatchReport:
        """Run one pass at `now`: deliver what is due, batch after batch, within the budget."""
        async with self._lock:
            return await self._run(now)

    async def wake(self) -> DispatchReport:
        """Run a pass at clock() soon; wakes during a pass share the one pass queued after it.

        Never raises for a failed pass (it is logged; the periodic sweep tries again), so an
        edge can call it right after its commit without guarding it.
        """
        if self._queued is None:
            self._queued = asyncio.ensure_future(self._queued_pass())
            self._queued.add_done_callback(_log_failure)
        try:
            return await asyncio.shield(self._queued)
        except Exception:
            return DispatchReport()

    async def _queued_pass(self) -> DispatchReport:
        async with self._lock:
            self._queued = None
            return await self._run(self.clock())

    async def _run(self, now: datetime) -> DispatchReport:
        report = DispatchReport()
        pass_ = _Pass(now, self.clock)
        first = True
        while pass_.elapsed() < self.pass_budget:
            async with self._writing() as db:
                if first:
                    unsendable = await store.note_unsendable(db=db, now=now, channels=self.senders)
                    report.no_sender = sum(unsendable.values())
                    if unsendable and unsendable != self._unsendable:
                        log.warning("outbox rows waiting for a sender: %s", unsendable)
                    self._unsendable = unsendable
                    first = False
                batch = await store.claim_due(
                    db=db,
                    now=now,
                    until=pass_.at() + self.lease,
                    channels=self.senders,
                    limit=self.batch_size,
                    max_attempts=self.max_attempts,
                )
            report.claimed += len(batch.claims) + batch.dead
            report.dead += batch.dead
            if batch.dead:
                log.warning("outbox: %d rows dead-lettered at claim", batch.dead)
            by_bucket: dict[str, list[Claim]] = {}
            for claim in batch.claims:
                by_bucket.setdefault(claim.delivery.bucket, []).append(claim)
            async with asyncio.TaskGroup() as group:
                for claims in by_bucket.values():
                    group.create_task(self._drain(claims, pass_, report))
            if len(batch.claims) + batch.dead < self.batch_size:
                break
        if report.claimed:
            log.info("outbox pass: %s", report.summary())
        return report

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        """A short write transaction; on SQLite one writer at a time in-process (no busy waits)."""
        lock = self._write_lock if self.database.is_sqlite else nullcontext()
        async with lock, self.database.transaction() as db:
            yield db

    def _bucket(self, claim: Claim, at: float) -> TokenBucket:
        key = claim.delivery.bucket
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = rate_for(self.rates, bucket=key, channel=claim.delivery.channel)
            bucket = self._buckets[key] = TokenBucket(rate, at=at)
        return bucket

    async def _drain(self, claims: list[Claim], pass_: _Pass, report: DispatchReport) -> None:
        """Send one bucket's claims in order, pacing them; stop early on a hold or the budget."""
        marks = MarkBuffer(
            writing=self._writing,
            policy=self.policy,
            report=report,
            size=self.mark_batch,
            interval=self.mark_interval,
        )
        async with self._slots:
            try:
                await self._drain_into(marks, claims, pass_, report)
            finally:
                await marks.flush()

    async def _drain_into(
        self, marks: MarkBuffer, claims: list[Claim], pass_: _Pass, report: DispatchReport
    ) -> None:
        for index, claim in enumerate(claims):
            bucket = self._bucket(claim, pass_.at().timestamp())
            wait = 0.0
            if pass_.elapsed() < self.pass_budget:
                wait = await self._token(bucket, marks, pass_)
            if wait > 0 or pass_.elapsed() >= self.pass_budget:
                await marks.flush()
                await self._pace(claims[index:], bucket, pass_, wait)
                report.paced += len(claims) - index
                return
            result = await self._send(claim)
            if isinstance(result, RateLimited):
                await marks.flush()
                await self._hold(claims[index:], result, pass_)
                report.held += len(claims) - index
                return
            marks.add(claim, result, pass_.at())
            if marks.due(pass_.at()):
                await marks.flush()

    async def _token(self, bucket: TokenBucket, marks: MarkBuffer, pass_: _Pass) -> float:
        """Take a token, flushing marks and sleeping for it if it is due soon; 0.0 once taken.

        The flush's write time counts toward the wait: the token is asked again after it and
        only what is still missing is slept. A few naps at most, so a wake-up a hair early
        takes another short nap instead of releasing the bucket's remaining claims.
        """
        wait = bucket.take(pass_.at().timestamp())
        for _ in range(3):
            if not 0 < wait <= self.max_wait or pass_.elapsed() + _secs(wait) >= self.pass_budget:
                break
            await marks.flush()
            wait = bucket.take(pass_.at().timestamp())
            if wait > 0:
                due = pass_.at().timestamp() + wait
                await self._sleep(wait)
                # A late wake-up is credited, up to half an interval (so two sends stay about
                # 1/2R apart at least): the token is taken as of when it came due, plus 1 us
                # for the float resolution of epoch seconds.
                now = pass_.at().timestamp()
                late = 0.5 / bucket.rate.per_second
                wait = bucket.take(max(min(now, due + 1e-6), now - late))
        return wait

    async def _send(self, claim: Claim) -> SendResult:
        sender = self.senders[claim.delivery.channel]
        try:
            return await sender.send(claim.delivery)
        except Exception as exc:  # a sender bug or an unexpected platform error: retry later
            log.warning("outbox %d: sender raised %s", claim.id, type(exc).__name__)
            return Failed(reason=f"sender raised {type(exc).__name__}", retryable=True)

    async def _pace(
        self, claims: list[Claim], bucket: TokenBucket, pass_: _Pass, wait: float
    ) -> None:
        """Release claims the bucket has no token for, spaced out when tokens will come."""
        at = pass_.at()
        step = 0.0 if bucket.rate.unlimited else 1.0 / bucket.rate.per_second
        first = max(wait, 0.001)
        releases = [(c, at + _secs(first + i * step)) for i, c in enumerate(claims)]
        async with self._writing() as db:
            await store.release(db=db, claims=releases)

    async def _hold(self, claims: list[Claim], limited: RateLimited, pass_: _Pass) -> None:
        """Hold the bucket for Retry-After and hand its claimed rows back until then."""
        bucket = claims[0].delivery.bucket
        low, high = MIN_HOLD.total_seconds(), MAX_HOLD.total_seconds()
        seconds = limited.retry_after if math.isfinite(limited.retry_after) else high
        retry_after = _secs(min(max(seconds, low), high))
        until = pass_.at() + retry_after
        async with self._writing() as db:
            await store.hold_bucket(db=db, bucket=bucket, until=until, reason="429 rate limited")
            await store.release(
                db=db, claims=[(c, until) for c in claims], error="rate limited (429)"
            )
        log.info("outbox: bucket %s held for %.0f s", bucket, retry_after.total_seconds())


def _secs(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def _log_failure(future: asyncio.Future[DispatchReport]) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        log.error("outbox pass failed: %s", type(exc).__name__, exc_info=exc)
