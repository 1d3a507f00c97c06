"""Benchmark: outbox dispatch throughput and peak memory on SQLite (and PostgreSQL if reachable).

Run:  .venv/bin/python bench/outbox_dispatch.py [--rows 5000] [--buckets 5] [--no-postgres]

Enqueues N messages across a few buckets, then drains them with a no-op sender and unlimited
rates: this measures the dispatcher's own cost (claims, marks, payload decryption), not a
platform's. Each database gets two fresh runs: one timed, one under tracemalloc for memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_db import PG_ADMIN_URL, probe_pg, scratch_databases

from bot.dispatcher import Dispatcher
from bot.outbox import enqueue
from bot.ports import Delivery, SendResult, Sent
from bot.ratelimit import UNLIMITED
from bot.ui import Button, Message
from storage.crypto import Keyring
from storage.db import Database
from storage.models import Base, Organisation, Person

ENQUEUE_CHUNK = 500


class NoopSender:
    """Accepts every delivery at once."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.count = 0

    async def send(self, delivery: Delivery) -> SendResult:
        self.count += 1
        return Sent(ref=str(delivery.outbox_id))


@dataclass
class Result:
    database: str
    rows: int
    enqueue_s: float
    dispatch_s: float
    passes: int
    peak_mib: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.dispatch_s


async def _seed(db: Database, rows: int, buckets: int, now: datetime) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with db.transaction() as s:
        org = Organisation(slug="bench", name="Bench", created_at=now)
        s.add(org)
        await s.flush()
        person = Person(
            organisation_id=org.id,
            email="bench@example.com",
            name="Bench Person",
            role="leader",
            timezone="Europe/London",
            created_at=now,
            updated_at=now,
        )
        s.add(person)
    message = Message(
        title="Weekly reflection",
        text="What did you try this week that you would do again? " * 3,
        buttons=(Button(label="Answer", action_id="reflect", value="1"),),
    )
    for start in range(0, rows, ENQUEUE_CHUNK):
        async with db.transaction() as s:
            for i in range(start, min(rows, start + ENQUEUE_CHUNK)):
                await enqueue(
                    db=s,
                    person=person,
                    message=message,
                    now=now,
                    channel="slack",
                    bucket=f"slack:T{i % buckets}",
                )


async def _run(url: str, label: str, rows: int, buckets: int, trace: bool) -> Result:
    keyring = Keyring(["bench-secret"])
    db = Database(url, keyring)
    now = datetime.now(UTC)
    try:
        started = time.perf_counter()
        await _seed(db, rows, buckets, now)
        enqueue_s = time.perf_counter() - started
        sender = NoopSender("slack")
        dispatcher = Dispatcher(
            database=db,
            senders={"slack": sender},
            clock=lambda: datetime.now(UTC),
            rates={"slack": UNLIMITED},
        )
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        passes = 0
        while True:
            report = await dispatcher.dispatch_due(now=datetime.now(UTC))
            if report.claimed == 0:
                break
            passes += 1
        dispatch_s = time.perf_counter() - started
        peak = 0
        if trace:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        if sender.count != rows:
            raise SystemExit(f"{label}: sent {sender.count} of {rows}")
        return Result(label, rows, enqueue_s, dispatch_s, passes, peak / 2**20)
    finally:
        await db.dispose()


async def _both_runs(make_url: Callable[[], str], label: str, rows: int, buckets: int) -> Result:
    timed = await _run(make_url(), label, rows, buckets, trace=False)
    traced = await _run(make_url(), label, rows, buckets, trace=True)
    timed.peak_mib = traced.peak_mib
    return timed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--buckets", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(100))
        results.append(
            await _both_runs(
                lambda: f"sqlite:///{tmp}/bench-{next(counter)}.db",
                "SQLite (file, WAL)",
                args.rows,
                args.buckets,
            )
        )
    if not args.no_postgres:
        if probe_pg():
            with scratch_databases() as pg_url:
                results.append(
                    await _both_runs(pg_url, "PostgreSQL (local)", args.rows, args.buckets)
                )
        else:
            print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: skipped", file=sys.stderr)
    print(
        f"\n{args.rows} messages, {args.buckets} buckets, no-op sender, unlimited rates; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}\n"
    )
    print("| database | enqueue (rows/s) | dispatch (rows/s) | passes | peak memory (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.database} | {r.rows / r.enqueue_s:,.0f} | {r.rows_per_s:,.0f} "
            f"| {r.passes} | {r.peak_mib:.1f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
