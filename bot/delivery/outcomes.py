"""Send outcomes: what each result means for its row, and writing them in short batches.

Outcomes of one bucket are buffered and written together when the buffer is full, when it is
older than a short interval, and before the dispatcher sleeps, holds or stops. So a crash
between a send and its mark re-sends at most that short window's rows (after the lease), and
a fast sender does not pay one transaction per row.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import store
from bot.delivery.backoff import backoff
from bot.delivery.identities import mark_unreachable
from bot.delivery.report import DispatchReport
from bot.delivery.store import Claim
from bot.ports import Failed, SendResult, Sent

log = logging.getLogger("bot.dispatcher")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how far apart a failing row is tried before it is dead-lettered."""

    max_attempts: int
    base: timedelta
    cap: timedelta
    rng: random.Random

    def delay(self, attempt: int) -> timedelta:
        """The backoff before the next try after failed attempt number `attempt`."""
        return backoff(attempt, base=self.base, cap=self.cap, rng=self.rng)


class MarkBuffer:
    """Outcomes of one bucket's sends, not yet written; `flush` writes them in one transaction."""

    def __init__(
        self,
        *,
        writing: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        policy: RetryPolicy,
        report: DispatchReport,
        size: int,
        interval: timedelta,
    ) -> None:
        self._writing = writing
        self._policy = policy
        self._report = report
        self._size = size
        self._interval = interval
        self._items: list[tuple[Claim, SendResult, datetime]] = []

    def add(self, claim: Claim, result: SendResult, at: datetime) -> None:
        """Remember that `claim` was sent at `at` with `result`."""
        self._items.append((claim, result, at))

    def due(self, at: datetime) -> bool:
        """True when the buffer is full or its oldest outcome has waited long enough."""
        if not self._items:
            return False
        return len(self._items) >= self._size or at - self._items[0][2] >= self._interval

    async def flush(self) -> None:
        """Write every buffered outcome (fenced on each claim) in one short transaction."""
        items, self._items = self._items, []
        if not items:
            return
        outcomes: list[tuple[Claim, str, bool]] = []
        async with self._writing() as db:
            for claim, result, at in items:
                outcome, ok = await self._apply(db, claim, result, at)
                outcomes.append((claim, outcome, ok))
        for claim, outcome, ok in outcomes:
            if not ok:
                log.warning("outbox %d: lease lost before marking %s", claim.id, outcome)
                self._report.superseded += 1
                continue
            setattr(self._report, outcome, getattr(self._report, outcome) + 1)
            if outcome == "dead":
                log.warning("outbox %d dead-lettered (bucket %s)", claim.id, claim.delivery.bucket)

    async def _apply(
        self, db: AsyncSession, claim: Claim, result: SendResult, at: datetime
    ) -> tuple[str, bool]:
        if isinstance(result, Sent):
            ok = await store.mark_sent(
                db=db, claim=claim, at=at, ref=result.ref, learned=result.learned
            )
            return "sent", ok
        if isinstance(result, Failed) and result.retryable:
            attempt = claim.delivery.attempt
            if attempt >= self._policy.max_attempts:
                error = f"{result.reason} (gave up after {attempt} attempts)"
                return "dead", await store.mark_dead(db=db, claim=claim, error=error)
            next_at = at + self._policy.delay(attempt)
            ok = await store.mark_retry(db=db, claim=claim, next_at=next_at, error=result.reason)
            return "retrying", ok
        reason = result.reason if isinstance(result, Failed) else "unexpected send result"
        if isinstance(result, Failed) and result.unreachable:
            delivery = claim.delivery
            tenant_key = delivery.recipient.tenant_key or delivery.bucket.partition(":")[2]
            await mark_unreachable(
                db, delivery.recipient.person_id, delivery.channel, reason, at, tenant_key
            )
        return "dead", await store.mark_dead(db=db, claim=claim, error=reason)
