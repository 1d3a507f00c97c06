"""Dispatcher pacing, concurrent wake-ups and concurrent replicas; token buckets in isolation."""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from bot.delivery import store
from bot.dispatcher import Dispatcher
from bot.ratelimit import DEFAULT_RATES, UNLIMITED, Rate, TokenBucket, rate_for
from storage.db import Database
from tests.bot.test_dispatcher import FakeSender, make_dispatcher, queue, rows
from tests.factories import T0

# --- token buckets: pure, time passed in ---


def test_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(Rate(per_second=2.0, burst=3), at=100.0)
    assert [bucket.take(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) == pytest.approx(0.5)
    assert bucket.take(100.25) == pytest.approx(0.25)
    assert bucket.take(100.5) == 0.0
    assert bucket.take(100.5) == pytest.approx(0.5)


def test_bucket_refills_up_to_its_burst_only() -> None:
    bucket = TokenBucket(Rate(per_second=1.0, burst=2), at=0.0)
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.take(3600.0) == 0.0 and bucket.take(3600.0) == 0.0
    assert bucket.take(3600.0) == pytest.approx(1.0)


def test_bucket_ignores_time_going_backwards() -> None:
    bucket = TokenBucket(Rate(per_second=1.0, burst=1), at=10.0)
    assert bucket.take(10.0) == 0.0
    assert bucket.take(5.0) == pytest.approx(1.0)
    assert bucket.take(11.0) == 0.0


def test_bucket_due_in_counts_future_tokens() -> None:
    bucket = TokenBucket(Rate(per_second=4.0, burst=1), at=0.0)
    assert bucket.due_in(1, 0.0) == 0.0
    bucket.take(0.0)
    assert bucket.due_in(3, 0.0) == pytest.approx(0.75)


def test_unlimited_never_waits_and_rates_resolve_bucket_then_channel() -> None:
    bucket = TokenBucket(UNLIMITED, at=0.0)
    assert all(bucket.take(0.0) == 0.0 for _ in range(10_000))
    special = Rate(per_second=0.5, burst=1)
    rates = {**DEFAULT_RATES, "slack:T9": special}
    assert rate_for(rates, bucket="slack:T9", channel="slack") is special
    assert rate_for(rates, bucket="slack:T1", channel="slack") is DEFAULT_RATES["slack"]
    assert rate_for(rates, bucket="x", channel="unknown") is UNLIMITED
    with pytest.raises(ValueError):
        Rate(per_second=0)
    assert math.isinf(UNLIMITED.per_second)


# --- pacing inside a pass ---


async def test_rows_without_a_token_are_released_spaced_out(db: Database) -> None:
    ids = await queue(db, 5)
    sender = FakeSender()
    dispatcher = Dispatcher(
        database=db,
        senders={"slack": sender},
        clock=lambda: T0,
        rates={"slack": Rate(per_second=2.0, burst=2)},
        max_wait=0,
    )
    report = await dispatcher.dispatch_due(now=T0)
    assert (report.sent, report.paced, report.outcomes) == (2, 3, 5)
    table = await rows(db)
    waiting = [table[i] for i in ids[2:]]
    assert all(r.status == "pending" and r.attempts == 0 for r in waiting)
    assert [r.next_attempt_at - T0 for r in waiting] == [
        timedelta(seconds=0.5),
        timedelta(seconds=1.0),
        timedelta(seconds=1.5),
    ]
    report = await dispatcher.dispatch_due(now=T0 + timedelta(seconds=1))
    assert report.sent == 2 and report.paced == 0
    report = await dispatcher.dispatch_due(now=T0 + timedelta(seconds=1.5))
    assert report.sent == 1
    assert sorted(sender.ids) == ids and len(sender.ids) == 5


async def test_short_waits_are_slept_within_the_pass(db: Database) -> None:
    ids = await queue(db, 4)
    elapsed = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        elapsed[0] += seconds

    sender = FakeSender()
    dispatcher = Dispatcher(
        database=db,
        senders={"slack": sender},
        clock=lambda: T0 + timedelta(seconds=elapsed[0]),
        rates={"slack": Rate(per_second=4.0, burst=1)},
        sleep=fake_sleep,
    )
    report = await dispatcher.dispatch_due(now=T0)
    assert report.sent == 4 and sender.ids == ids
    assert slept == pytest.approx([0.25, 0.25, 0.25])
    assert [r.sent_at for r in (await rows(db)).values()] == [
        T0 + timedelta(seconds=s) for s in (0, 0.25, 0.5, 0.75)
    ]


async def test_the_pass_budget_bounds_a_pass(db: Database) -> None:
    ids = await queue(db, 5)
    elapsed = [0.0]

    async def fake_sleep(seconds: float) -> None:
        elapsed[0] += seconds

    dispatcher = Dispatcher(
        database=db,
        senders={"slack": FakeSender()},
        clock=lambda: T0 + timedelta(seconds=elapsed[0]),
        rates={"slack": Rate(per_second=1.0, burst=1)},
        sleep=fake_sleep,
        pass_budget=timedelta(seconds=2.5),
    )
    report = await dispatcher.dispatch_due(now=T0)
    assert (report.sent, report.paced) == (3, 2)
    table = await rows(db)
    assert [table[i].status for i in ids] == ["sent"] * 3 + ["pending"] * 2


# --- concurrency ---


async def test_concurrent_wakes_send_each_row_once(db: Database) -> None:
    ids = await queue(db, 20)
    sender = FakeSender()
    dispatcher = make_dispatcher(db, sender)
    reports = await asyncio.gather(*(dispatcher.wake() for _ in range(6)))
    assert sorted(sender.ids) == ids
    assert sum(r.sent for r in reports if r is not reports[0]) + reports[0].sent >= 20
    more = await queue(db, 3, bucket="slack:B")
    report = await dispatcher.wake()
    assert report.sent == 3 and sorted(sender.ids) == sorted(ids + more)


async def test_two_replicas_never_send_a_row_twice(db: Database) -> None:
    ids = []
    for bucket in ("slack:A", "slack:B", "slack:C", "slack:D"):
        ids += await queue(db, 60, bucket=bucket)
    other_db = Database(db.url, db.keyring)
    try:
        sender = FakeSender()
        replicas = [
            make_dispatcher(db, sender, batch_size=25),
            make_dispatcher(other_db, sender, batch_size=25),
        ]
        reports = await asyncio.gather(
            *(r.dispatch_due(now=T0) for r in replicas for _ in range(3))
        )
    finally:
        await other_db.dispose()
    counts = Counter(sender.ids)
    assert sorted(counts) == sorted(ids)
    assert max(counts.values()) == 1
    assert sum(r.sent for r in reports) == len(ids)
    assert all(r.status == "sent" for r in (await rows(db)).values())


def test_dispatcher_rejects_a_budget_longer_than_half_the_lease() -> None:
    with pytest.raises(ValueError):
        Dispatcher(
            database=None,  # type: ignore[arg-type]
            senders={},
            clock=lambda: T0,
            lease=timedelta(seconds=10),
            pass_budget=timedelta(seconds=6),
            rng=random.Random(1),
        )


async def test_rows_claimed_by_an_open_transaction_are_skipped_not_awaited(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("row locks: SQLite serialises whole write transactions instead")
    first = await queue(db, 3, bucket="slack:A")
    rest = await queue(db, 3, bucket="slack:B")
    sender = FakeSender()
    dispatcher = make_dispatcher(db, sender)
    other_db = Database(db.url, db.keyring)
    try:
        async with other_db.transaction() as s:
            held = await store.claim_due(
                db=s,
                now=T0,
                until=T0 + timedelta(minutes=2),
                channels=["slack"],
                limit=3,
                max_attempts=8,
            )
            assert sorted(c.id for c in held.claims) == first
            # The other replica's claim is not committed yet: its rows are locked, not visible
            # as claimed. A pass must skip them rather than wait for them or send them.
            report = await asyncio.wait_for(dispatcher.dispatch_due(now=T0), timeout=30)
            assert sorted(sender.ids) == rest and report.sent == 3
        report = await dispatcher.dispatch_due(now=T0 + timedelta(minutes=1))
        assert report.claimed == 0 and sorted(sender.ids) == rest
    finally:
        await other_db.dispose()


async def test_wake_never_raises_into_the_edge(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await queue(db, 1)

    async def broken(**kw: object) -> store.ClaimBatch:
        raise RuntimeError("database went away")

    monkeypatch.setattr(store, "claim_due", broken)
    dispatcher = make_dispatcher(db, FakeSender())
    report = await dispatcher.wake()
    assert report.claimed == 0
    assert "outbox pass failed: RuntimeError" in caplog.text
    with pytest.raises(RuntimeError):
        await dispatcher.dispatch_due(now=T0)


@pytest.mark.parametrize(
    ("write", "naps"), [(0.1, [0.15, 0.15, 0.15]), (0.3, [])], ids=["short", "long"]
)
async def test_time_spent_writing_marks_counts_toward_the_token_wait(
    db: Database, monkeypatch: pytest.MonkeyPatch, write: float, naps: list[float]
) -> None:
    ids = await queue(db, 4)
    elapsed = [0.0]
    slept: list[float] = []
    mark_sent = store.mark_sent

    async def slow_mark_sent(**kw: Any) -> bool:
        elapsed[0] += write  # the flush before each nap takes `write` seconds of clock time
        return await mark_sent(**kw)

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        elapsed[0] += seconds

    monkeypatch.setattr(store, "mark_sent", slow_mark_sent)
    dispatcher = Dispatcher(
        database=db,
        senders={"slack": FakeSender()},
        clock=lambda: T0 + timedelta(seconds=elapsed[0]),
        rates={"slack": Rate(per_second=4.0, burst=1)},
        sleep=fake_sleep,
    )
    report = await dispatcher.dispatch_due(now=T0)
    assert report.sent == 4
    # Written + slept per message is 1/R (0.25 s) while writing is shorter than that; a longer
    # write is never topped up with a nap.
    assert slept == pytest.approx(naps)
    step = max(write, 0.25)
    table = await rows(db)
    assert [table[i].sent_at for i in ids] == [T0 + timedelta(seconds=k * step) for k in range(4)]


async def test_a_wake_up_a_hair_early_naps_again_instead_of_releasing(db: Database) -> None:
    ids = await queue(db, 3)
    elapsed = [0.0]
    slept: list[float] = []

    async def early_sleep(seconds: float) -> None:
        slept.append(seconds)
        elapsed[0] += seconds - 0.000_01 if seconds > 0.001 else seconds

    sender = FakeSender()
    dispatcher = Dispatcher(
        database=db,
        senders={"slack": sender},
        clock=lambda: T0 + timedelta(seconds=elapsed[0]),
        rates={"slack": Rate(per_second=4.0, burst=1)},
        sleep=early_sleep,
    )
    report = await dispatcher.dispatch_due(now=T0)
    assert (report.sent, report.paced) == (3, 0) and sender.ids == ids
    assert slept == pytest.approx([0.25, 0.000_01, 0.25, 0.000_01], abs=1e-6)


async def test_a_late_wake_up_is_credited_up_to_half_an_interval(db: Database) -> None:
    ids = await queue(db, 5)
    elapsed = [0.0]
    slept: list[float] = []

    async def late_sleep(seconds: float) -> None:
        slept.append(seconds)
        elapsed[0] += seconds + (0.01, 0.01, 0.2, 0.0)[len(slept) - 1]  # late 10, 10, 200, 0 ms

    dispatcher = Dispatcher(
        database=db,
        senders={"slack": FakeSender()},
        clock=lambda: T0 + timedelta(seconds=elapsed[0]),
        rates={"slack": Rate(per_second=4.0, burst=1)},
        sleep=late_sleep,
    )
    report = await dispatcher.dispatch_due(now=T0)
    assert report.sent == 5
    # The token is taken as of when it came due, so the next nap is 10 ms shorter and the pace
    # stays R on average; of a 200 ms delay only half an interval (125 ms) is made up.
    assert slept == pytest.approx([0.25, 0.24, 0.24, 0.125], abs=1e-5)
    table = await rows(db)
    sent = [(table[i].sent_at - T0).total_seconds() for i in ids]
    assert sent == pytest.approx([0, 0.26, 0.51, 0.95, 1.075], abs=1e-5)
