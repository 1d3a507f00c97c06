"""Benchmark: a Monday morning of nudges for many leaders: plan them, then drain the outbox.

Run:  .venv/bin/python bench/nudges.py [--leaders 100000] [--db sqlite|postgresql|both]
                                      [--rate 50] [--throttled 1000] [--seed 7] [--profile]

--profile counts the sweep's SQL statements per plan and times its steps (stderr); --cprofile
prints the sweeps' 30 costliest functions by own time (stderr).

Seeds (bench/nudges_data.py) one organisation on a freshly migrated database: N active leaders
over 30 IANA zones in 10 Slack workspaces, 0-3 goals each (10% none), ~30% with a NudgeSettings
row (some move their reflection to Monday morning, some check in at 07:30, inside quiet hours,
some are paused). The programme's check-in is Monday 09:00 local. Then, per database:

1. plan: `ensure_plans` once on the Sunday, then `nudge_due` sweeps every 5 minutes of
   simulated time through every zone's Monday morning, each sweep repeated until it finds
   nothing due; leaders planned per second over the sweeps' wall time.
2. drain: the real Dispatcher with unlimited rates and a Sender (bench/mock_chat.py) that POSTs
   each row to a local mock chat API (its own process) that answers at once; messages/s.
3. throttled: `--throttled` rows of one workspace sent again against the mock enforcing
   `--rate` R per second per workspace (429 + Retry-After); the dispatcher paced at R (burst 1),
   then at 2R (burst 2R, so 429 holds do the work); delivered per second / R; ids received vs
   rows: lost and duplicated.

Until bot/nudges/sweep.py exists, step 1 is skipped and the outbox gets one check-in row per
leader written directly (bench/nudges_data.py synthetic_outbox).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event, func, make_url, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # scratch_db, next to this file

from mock_chat import MockChatSender, mock_chat_server, received_by_mock, reset_mock
from nudges_data import MORNING_ENDS, SETUP_AT, World, build, synthetic_outbox
from scratch_db import PG_ADMIN_URL, probe_pg, scratch_databases

from bot.dispatcher import Dispatcher
from bot.ports import Delivery, SendResult
from bot.ratelimit import UNLIMITED, Rate
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade_sync
from storage.models import Nudge, OutboxMessage

try:
    from bot.nudges.plans import ensure_plans
    from bot.nudges.sweep import nudge_due
except ImportError:  # pragma: no cover - the sweep is not built yet
    ensure_plans = nudge_due = None  # type: ignore[assignment]

STEP = timedelta(minutes=5)


@dataclass
class Figures:
    label: str
    world: World
    seed_s: float = 0.0
    ensure_s: float = 0.0
    plans: int = 0
    sweep_s: float = 0.0
    sweeps: int = 0
    leaders_planned: int = 0
    empty_s: float = 0.0
    busy_ms: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    nudges: dict[str, int] = field(default_factory=dict)
    drained: int = 0
    drain_s: float = 0.0
    post_ms: list[float] = field(default_factory=list)
    throttled: list[tuple[str, int, float, int, int, int]] = field(default_factory=list)


class TimedSender(MockChatSender):
    """The mock sender, recording each call's wall time."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.times: list[float] = []

    async def send(self, delivery: Delivery) -> SendResult:
        started = time.perf_counter()
        result = await super().send(delivery)
        self.times.append(time.perf_counter() - started)
        return result


class Probe:
    """Counts SQL statements by verb and table, and times the sweep's steps (inclusive)."""

    STEPS = (
        "claim_due",
        "load_batch",
        "record_nudges",
        "nudge_message",
        "enqueue_many",
        "ignore_previous",
        "write_plans",
        "route",
        "next_due",
    )

    def __init__(self, db: Database) -> None:
        self.statements: Counter[str] = Counter()
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._patched: list[tuple[Any, str, Any]] = []
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._count)
        self._engine = db.engine.sync_engine

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        verb = words[0].upper() if words else "?"
        table = next((w for w in words[1:] if w.strip('"').islower()), "?")
        if verb == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else "?"
        self.statements[f"{verb} {table.strip(chr(34))}"] += 1

    def patch(self) -> None:
        """Wrap the sweep's steps where sweep.py (and plans.py, outbox.py) look them up."""
        import bot.nudges.plans as plans_mod
        import bot.nudges.sweep as sweep_mod
        import bot.outbox as outbox_mod

        for module, name in (
            (sweep_mod, "load_batch"),
            (sweep_mod, "record_nudges"),
            (sweep_mod, "enqueue_many"),
            (sweep_mod, "ignore_previous"),
            (sweep_mod, "claim_due"),
            (sweep_mod, "write_plans"),
            (sweep_mod, "nudge_message"),
            (outbox_mod, "route"),
            (plans_mod, "next_due"),
        ):
            original = getattr(module, name)
            self._patched.append((module, name, original))
            setattr(module, name, self._timed(name, original))

    def _timed(self, name: str, original: Any) -> Any:
        probe = self
        if asyncio.iscoroutinefunction(original):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    probe.seconds[name] += time.perf_counter() - started
                    probe.calls[name] += 1

            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                probe.seconds[name] += time.perf_counter() - started
                probe.calls[name] += 1

        return timed

    def close(self) -> None:
        """Undo the patches and stop counting."""
        for module, name, original in self._patched:
            setattr(module, name, original)
        event.remove(self._engine, "before_cursor_execute", self._count)

    def print(self, claimed: int, sweep_s: float, empty_s: float) -> None:
        """Per-plan statement counts and step times, to stderr."""
        out = sys.stderr
        print(f"\nprobe: {claimed} plans claimed, sweeps {sweep_s:.2f} s, of which "
              f"{empty_s:.2f} s in sweeps that found nothing", file=out)  # fmt: skip
        for key, count in self.statements.most_common(20):
            print(f"  {count:8d} {count / max(1, claimed):6.2f}/plan  {key}", file=out)
        for name in self.STEPS:
            secs, calls = self.seconds[name], self.calls[name]
            print(f"  {name:18s} {calls:8d} calls {secs:8.2f} s "
                  f"{1000 * secs / max(1, claimed):6.3f} ms/plan", file=out)  # fmt: skip


async def _sweeper(db: Database, fig: Figures, totals: dict[str, int], now: datetime) -> None:
    """One sweeper at `now`: sweep until a sweep finds nothing due (as the nudges job does)."""
    while True:
        began = time.perf_counter()
        async with db.transaction() as s:
            result = await nudge_due(db=s, now=now)
        fig.sweeps += 1
        for k in totals:
            totals[k] += getattr(result, k)
        if result.claimed == 0:
            fig.empty_s += time.perf_counter() - began
            return
        fig.busy_ms.append(1000 * (time.perf_counter() - began))


async def plan(
    db: Database, fig: Figures, profile: bool, cprofile: bool = False, sweepers: int = 1
) -> None:
    """ensure_plans on the Sunday, then 5-minute sweeps through every zone's Monday morning."""
    started = time.perf_counter()
    async with db.transaction() as s:
        fig.plans = await ensure_plans(db=s, now=SETUP_AT)
    fig.ensure_s = time.perf_counter() - started
    probe = Probe(db) if profile else None
    if probe:
        probe.patch()
    totals = {"sent": 0, "skipped": 0, "deferred": 0, "asked_to_pause": 0, "claimed": 0}
    now = SETUP_AT
    profiler = cProfile.Profile() if cprofile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    try:
        while now <= MORNING_ENDS:
            await asyncio.gather(*(_sweeper(db, fig, totals, now) for _ in range(sweepers)))
            now += STEP
        fig.sweep_s = time.perf_counter() - started
    finally:
        if probe:
            probe.close()
        if profiler:
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats(os.environ.get("CPROFILE_SORT", "tottime"))
            stats.print_stats(os.environ.get("CPROFILE_FILTER", ""), 30)
    fig.outcomes = totals
    if probe:
        probe.print(totals["claimed"], fig.sweep_s, fig.empty_s)
    async with db.reading() as s:
        rows = await s.execute(select(Nudge.status, func.count()).group_by(Nudge.status))
        fig.nudges = {status: count for status, count in rows.all()}
        fig.leaders_planned = (
            await s.scalar(select(func.count(func.distinct(Nudge.person_id)))) or 0
        )


async def _drain(dispatcher: Dispatcher, db: Database, expect: int, limit_s: float) -> float:
    """Call dispatch_due until `expect` rows are sent (or limit_s passes); the seconds taken."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        report = await dispatcher.dispatch_due(now=datetime.now(UTC))
        if report.claimed == 0:
            async with db.reading() as s:
                pending = await s.scalar(select(func.count()).where(OutboxMessage.status != "sent"))
            if not pending:
                break
            await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    async with db.reading() as s:
        sent = await s.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
    if sent != expect:
        raise SystemExit(f"drain: {sent} of {expect} rows sent after {elapsed:.0f} s")
    return elapsed


async def _check(base: str, ids: set[int]) -> tuple[int, int]:
    """Lost (rows the mock never accepted) and duplicated (ids accepted more than once)."""
    received, _ = await received_by_mock(base)
    return len(ids - set(received)), len(received) - len(set(received))


async def drain(db: Database, fig: Figures, base: str) -> None:
    """Everything queued, unthrottled, to the mock that answers at once."""
    async with db.reading() as s:
        ids = set((await s.scalars(select(OutboxMessage.id))).all())
    await reset_mock(base, None)
    sender = TimedSender(base)
    dispatcher = Dispatcher(
        database=db,
        senders={"slack": sender},
        clock=lambda: datetime.now(UTC),
        rates={"slack": UNLIMITED},
    )
    try:
        fig.drain_s = await _drain(dispatcher, db, len(ids), limit_s=3600)
    finally:
        await sender.close()
    fig.drained = len(ids)
    fig.post_ms = [t * 1000 for t in sender.times]
    lost, dupes = await _check(base, ids)
    if lost or dupes:
        raise SystemExit(f"unthrottled drain: {lost} lost, {dupes} duplicated")


async def throttled(db: Database, fig: Figures, base: str, rate: float, count: int) -> None:
    """`count` rows of workspace T0 again, against the mock limited to `rate`/s per workspace."""
    async with db.reading() as s:
        ids = set(
            (
                await s.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.bucket == "slack:T0")
                    .order_by(OutboxMessage.id)
                    .limit(count)
                )
            ).all()
        )
    for name, pace, burst in (
        ("paced at R, burst 1", rate, 1),
        ("paced at 2R, burst 2R", 2 * rate, int(2 * rate)),
    ):
        async with db.transaction() as s:
            await s.execute(sqlalchemy.delete(sqlalchemy.table("delivery_holds")))
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(
                    status="pending",
                    attempts=0,
                    sent_at=None,
                    claimed_until=None,
                    platform_ref=None,
                    next_attempt_at=SETUP_AT,
                )
            )
        await reset_mock(base, rate)
        sender = MockChatSender(base)
        dispatcher = Dispatcher(
            database=db,
            senders={"slack": sender},
            clock=lambda: datetime.now(UTC),
            rates={"slack": Rate(per_second=pace, burst=max(1, burst))},
        )
        try:
            elapsed = await _drain(dispatcher, db, fig.drained, limit_s=20 * count / rate)
        finally:
            await sender.close()
        lost, dupes = await _check(base, ids)
        fig.throttled.append((name, len(ids), elapsed, sender.rate_limited, lost, dupes))


async def bench(label: str, url: str, args: argparse.Namespace, base: str) -> Figures:
    """Seed, plan, drain and throttle on one database."""
    upgrade_sync(url)
    db = Database(url, Keyring(["bench-secret"]))
    try:
        started = time.perf_counter()
        world = await build(db, args.leaders, args.seed)
        fig = Figures(label, world, seed_s=time.perf_counter() - started)
        await _settle(db)
        if nudge_due is not None:
            sweepers = args.sweepers if db.is_postgres else 1
            await plan(db, fig, args.profile, args.cprofile, sweepers)
        else:
            print("bot/nudges/sweep.py not there yet: synthetic outbox", file=sys.stderr)
            await synthetic_outbox(db, args.leaders)
        await _settle(db)
        await drain(db, fig, base)
        await throttled(db, fig, base, args.rate, args.throttled)
        return fig
    finally:
        await db.dispose()


async def _settle(db: Database) -> None:
    """ANALYZE / WAL checkpoint after a bulk load, as a live database would have done."""
    await db.dispose()  # no pooled connection may pin an old snapshot
    if db.is_postgres:
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
    else:
        path = make_url(db.url).database
        with closing(sqlite3.connect(str(path))) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else 0.0


def report(figs: list[Figures], args: argparse.Namespace) -> None:
    """Markdown tables of the figures."""
    versions = [f"SQLAlchemy {sqlalchemy.__version__}", f"SQLite {sqlite3.sqlite_version}"]
    pg = probe_pg()
    if pg:
        versions.append(f"PostgreSQL {pg}")
    print(
        f"\n{args.leaders:,} leaders, 30 zones; {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {', '.join(versions)}; {datetime.now(UTC):%Y-%m-%d}\n"
    )
    print("| database | seed s | plans made | ensure_plans s | sweeps (empty s) | plans claimed "
          "| leaders planned | sweep s | leaders/s | busy sweep p50 / p95 ms |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in figs:
        rate = f"{f.leaders_planned / f.sweep_s:,.0f}" if f.sweep_s else "n/a"
        print(
            f"| {f.label} | {f.seed_s:.1f} | {f.plans:,} | {f.ensure_s:.1f} "
            f"| {f.sweeps} ({f.empty_s:.1f}) | {f.outcomes.get('claimed', 0):,} "
            f"| {f.leaders_planned:,} | {f.sweep_s:.1f} | {rate} "
            f"| {_pct(f.busy_ms, 50):.0f} / {_pct(f.busy_ms, 95):.0f} |"
        )
    print("\n| database | drained | drain s | messages/s | POST p50 / p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for f in figs:
        print(
            f"| {f.label} | {f.drained:,} | {f.drain_s:.1f} | {f.drained / f.drain_s:,.0f} "
            f"| {_pct(f.post_ms, 50):.1f} / {_pct(f.post_ms, 95):.1f} |"
        )
    print(f"\nThrottled: mock limit R = {args.rate:g}/s per workspace (burst R), one workspace\n")
    print("| database | dispatcher | rows | seconds | delivered/s | ÷ R | 429s | lost | dup |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for f in figs:
        for name, rows, secs, limited, lost, dupes in f.throttled:
            print(
                f"| {f.label} | {name} | {rows:,} | {secs:.1f} | {rows / secs:.1f} "
                f"| {rows / secs / args.rate:.3f} | {limited} | {lost} | {dupes} |"
            )
    for f in figs:
        print(f"\n{f.label}: {f.world}; sweep outcomes {f.outcomes}; nudges {f.nudges}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--throttled", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cprofile", action="store_true", help="cProfile the sweeps (stderr)")
    parser.add_argument(
        "--sweepers",
        type=int,
        default=1,
        help="concurrent sweepers on PostgreSQL (SKIP LOCKED claims), as replicas would run",
    )
    args = parser.parse_args()
    figs: list[Figures] = []
    with mock_chat_server() as base, tempfile.TemporaryDirectory() as tmp:
        if args.db in ("sqlite", "both"):
            url = f"sqlite:///{tmp}/nudges.db"
            figs.append(asyncio.run(bench("SQLite", url, args, base)))
        if args.db in ("postgresql", "both"):
            if probe_pg():
                with scratch_databases() as pg_url:
                    figs.append(asyncio.run(bench("PostgreSQL", pg_url(), args, base)))
            else:
                print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: skipped", file=sys.stderr)
    report(figs, args)


if __name__ == "__main__":
    main()
