"""Benchmark: the reporting sync and the HR report over a year of coaching for 10,000 leaders.

Run:  .venv/bin/python bench/reporting.py [--leaders 10000] [--weeks 52]
                                          [--db sqlite|postgresql|both] [--seed 7]
                                          [--cprofile full,day,again,report]

Seeds (bench/reporting_data.py) a freshly migrated operational store: 4 programmes, a coach per
100 leaders, one engagement per leader (6% withdrawn), 1-3 goals each, a check-in nudge every
week (answered ~60%, ignored ~30%, skipped ~10%; this week's unanswered ones still `sent`), a
reflection nudge every other week, a check-in per goal for every answered check-in nudge, a
one-to-one every third week (held, unmarked, no-show, cancelled, late-cancelled; booked ahead)
and a handoff for about a quarter of them. Then, per database (SQLite files, or scratch
PostgreSQL databases on one server), it measures:

1. full: `sync` into an empty, migrated reporting store (rows written per second);
2. day: one simulated day of new activity (answers and their check-ins, sessions marked,
   booked and cancelled, handoffs, goals achieved, roster changes), then an incremental sync;
3. again: a second sync with the same `now`, which must change nothing;
4. report: `build_report` (metrics + suppression) and `write_report` (HTML + CSV, temp dir).

--cprofile PHASES prints each listed phase's 30 costliest functions by own time (stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import platform
import pstats
import resource
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # scratch_db, next to this file

from reporting_data import DAY_END, NOW, World, build, one_day
from scratch_db import PG_ADMIN_URL, probe_pg, scratch_databases

from bot.reporting.report import build_report, write_report
from bot.reporting.sync import SyncReport, sync
from storage.crypto import Keyring
from storage.db import Database, async_url
from storage.migrate import upgrade_sync

T = TypeVar("T")
KEYRING = Keyring(["bench-secret"])


@dataclass
class Figures:
    label: str
    world: World | None = None
    seed_s: float = 0.0
    syncs: dict[str, SyncReport] = field(default_factory=dict)
    day_s: float = 0.0
    report_s: float = 0.0
    write_s: float = 0.0
    cells: int = 0
    suppressed: int = 0
    files: int = 0
    bytes: int = 0
    rss: dict[str, float] = field(default_factory=dict)
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    load: dict[str, str] = field(default_factory=dict)


class Steps:
    """Wall time per step of the sync and the report (wrappers where the library looks them up)."""

    SYNC = ("read_dimensions", "_sync_dimensions", "_sync_facts")
    METRICS = ("load_scope", "nudge_cells", "median_cells", "checkin_cells", "goal_cells")
    METRICS += ("session_cells",)
    METRICS += ("coach_cells",)

    def __init__(self) -> None:
        import bot.reporting.metrics as metrics_mod
        import bot.reporting.report as report_mod
        import bot.reporting.sync as sync_mod

        self.seconds: dict[str, float] = defaultdict(float)
        self._patched = [(sync_mod, n) for n in self.SYNC] + [
            (metrics_mod, n) for n in self.METRICS
        ]
        self._patched += [(report_mod, "suppress"), (report_mod, "_tables")]
        self._originals = [getattr(m, n) for m, n in self._patched]
        for (module, name), original in zip(self._patched, self._originals, strict=True):
            setattr(module, name, self._wrap(name, original))

    def _wrap(self, name: str, original: Any) -> Any:
        seconds = self.seconds

        def label(args: tuple[Any, ...]) -> str:
            return f"{name} {args[2].name}" if name == "_sync_facts" else name

        if asyncio.iscoroutinefunction(original):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    seconds[label(args)] += time.perf_counter() - started

            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[label(args)] += time.perf_counter() - started

        return timed

    def take(self) -> dict[str, float]:
        """The times since the last take (and start again)."""
        out = dict(self.seconds)
        self.seconds.clear()
        return out

    def close(self) -> None:
        """Put the library's functions back."""
        for (module, name), original in zip(self._patched, self._originals, strict=True):
            setattr(module, name, original)


def _rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


STEPS: Steps | None = None


async def _phase(fig: Figures, name: str, work: Awaitable[T], profile: str | None) -> T:
    """Run one phase, under cProfile when asked; note the load average and peak RSS after it."""
    profiler = cProfile.Profile() if name in (profile or "").split(",") else None
    fig.load[name + " before"] = _load()
    if profiler:
        profiler.enable()
    try:
        return await work
    finally:
        if profiler:
            profiler.disable()
            print(f"\n--- cProfile: {fig.label} {name} ---", file=sys.stderr)
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats(os.environ.get("CPROFILE_SORT", "tottime")).print_stats(30)
        fig.rss[name] = _rss_mib()
        if STEPS is not None:
            fig.steps[name] = STEPS.take()
        fig.load[name] = _load()


async def _settle(db: Database) -> None:
    """ANALYZE / WAL checkpoint after a bulk load, as a live database would have done."""
    await db.dispose()
    if db.is_postgres:
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
    else:
        path = make_url(db.url).database
        with closing(sqlite3.connect(str(path))) as conn:
            conn.execute("ANALYZE")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def bench(label: str, source_url: str, target_url: str, args: argparse.Namespace) -> Figures:
    """Seed, full sync, a day and an incremental sync, a no-change sync, the report."""
    fig = Figures(label)
    upgrade_sync(source_url)
    upgrade_sync(target_url, store="reporting")
    source, target = Database(source_url, KEYRING), Database(target_url, KEYRING)
    prof = args.cprofile
    try:
        started = time.perf_counter()
        fig.world = await _phase(
            fig, "seed", build(source, args.leaders, args.weeks, args.seed), None
        )
        fig.seed_s = time.perf_counter() - started
        await _settle(source)
        print(f"{label}: seeded {dict(fig.world.rows)} in {fig.seed_s:.1f} s", file=sys.stderr)
        run = sync(source=source, target=target, keyring=KEYRING, now=NOW)
        fig.syncs["full"] = await _phase(fig, "full", run, prof)
        print(f"{label}: full sync {fig.syncs['full'].seconds:.1f} s", file=sys.stderr)
        await _settle(target)
        started = time.perf_counter()
        await one_day(source, fig.world, args.seed)
        fig.day_s = time.perf_counter() - started
        run = sync(source=source, target=target, keyring=KEYRING, now=DAY_END)
        fig.syncs["day"] = await _phase(fig, "day", run, prof)
        run = sync(source=source, target=target, keyring=KEYRING, now=DAY_END)
        fig.syncs["again"] = await _phase(fig, "again", run, prof)
        if fig.syncs["again"].total.changed:
            raise SystemExit(f"{label}: a second sync changed {fig.syncs['again'].tables}")
        await target.dispose()
        await _report(fig, target_url, prof)
        return fig
    finally:
        await source.dispose()
        await target.dispose()


async def _report(fig: Figures, url: str, prof: str | None) -> None:
    """Build the report from the reporting store, then write its HTML and CSV to a temp dir."""
    engine = create_async_engine(async_url(url))
    try:
        started = time.perf_counter()
        report = await _phase(fig, "report", build_report(engine, min_group=5, now=DAY_END), prof)
        fig.report_s = time.perf_counter() - started
    finally:
        await engine.dispose()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        files = write_report(report, Path(out))
        fig.write_s = time.perf_counter() - started
        fig.files, fig.bytes = len(files), sum(f.stat().st_size for f in files)
    fig.cells, fig.suppressed = report.summary.cells, report.summary.suppressed


def _counts(r: SyncReport) -> str:
    t = r.total
    return f"{t.inserted:,} / {t.updated:,} / {t.deleted:,}"


def report(figs: list[Figures], args: argparse.Namespace) -> None:
    """Markdown tables of the figures."""
    versions = [f"SQLAlchemy {sqlalchemy.__version__}", f"SQLite {sqlite3.sqlite_version}"]
    pg = probe_pg()
    if pg:
        versions.append(f"PostgreSQL {pg}")
    print(
        f"\n{args.leaders:,} leaders, {args.weeks} weeks; {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {', '.join(versions)}; {datetime.now(UTC):%Y-%m-%d %H:%M}"
    )
    for f in figs:
        if f.world:
            rows = ", ".join(f"{k} {v:,}" for k, v in f.world.rows.items())
            print(f"\n{f.label}: seeded in {f.seed_s:.1f} s: {rows}")
            print(f"{f.label}: the day: {dict(f.world.day)} (applied in {f.day_s:.1f} s)")
    print("\n| database | step | rows written (ins / upd / del) | seconds | rows/s "
          "| peak RSS MiB | load avg (1/5/15 min) |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---|")
    for f in figs:
        for name, what in (("full", "full sync"), ("day", "one day, incremental"),
                           ("again", "again, no change")):  # fmt: skip
            r = f.syncs[name]
            rate = f"{r.total.changed / r.seconds:,.0f}" if r.total.changed else "–"
            print(f"| {f.label} | {what} | {_counts(r)} | {r.seconds:.2f} | {rate} "
                  f"| {f.rss[name]:.0f} | {f.load[name]} |")  # fmt: skip
        print(f"| {f.label} | report: metrics + suppression | {f.cells:,} cells, "
              f"{f.suppressed:,} suppressed | {f.report_s:.2f} | | {f.rss['report']:.0f} "
              f"| {f.load['report']} |")  # fmt: skip
        print(f"| {f.label} | report: HTML + CSV written | {f.files} files, "
              f"{f.bytes / 1024:,.0f} KiB | {f.write_s:.2f} | | | |")  # fmt: skip
    for f in figs:
        for name in ("full", "day"):
            r = f.syncs[name]
            per = ", ".join(
                f"{t} {c.inserted}/{c.updated}/{c.deleted}"
                for t, c in r.tables.items()
                if c.changed
            )
            print(f"\n{f.label} {name} sync (since {r.since}): {per}")
    for f in figs:
        for name, steps in f.steps.items():
            if steps and name != "seed":
                timed = ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
                print(f"\n{f.label} {name}, wall s per step (families overlap): {timed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cprofile", help="phases to profile, e.g. full,report (stderr)")
    args = parser.parse_args()
    global STEPS
    STEPS = Steps()
    figs: list[Figures] = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.db in ("sqlite", "both"):
            urls = (f"sqlite:///{tmp}/operational.db", f"sqlite:///{tmp}/reporting.db")
            figs.append(asyncio.run(bench("SQLite", *urls, args)))
        if args.db in ("postgresql", "both"):
            if probe_pg():
                with scratch_databases() as pg_url:
                    figs.append(asyncio.run(bench("PostgreSQL", pg_url(), pg_url(), args)))
            else:
                print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: skipped", file=sys.stderr)
    report(figs, args)


if __name__ == "__main__":
    main()
