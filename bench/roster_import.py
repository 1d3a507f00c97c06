"""Benchmark: importing a large organisation's roster on SQLite (and PostgreSQL if reachable).

Run:  .venv/bin/python bench/roster_import.py [--leaders 10000] [--coaches 200] [--runs 1]
                                              [--seed 7] [--no-postgres] [--profile]

Generates (seeded) an org.yaml (programmes, coaches with weekly availability and capacities that
fit) and a leaders.csv (zones spread over many IANA zones, Slack ids, most leaders with a coach).
On each database, on a fresh schema, it times: the first import of the org.yaml and of the CSV,
a re-import of the same CSV (must change nothing), a CSV where ~10% of rows change one field,
a CSV with errors in ~1% of rows (must be rejected, writing nothing), and a re-import of the
org.yaml with every leader in place. A second fresh database traces the first CSV import with
tracemalloc for its peak memory. --profile prints a cProfile of the first CSV import on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import platform
import pstats
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # roster_data, next to this file

from roster_data import NOW, PROGRAMMES, Roster, generate, write_files
from scratch_db import PG_ADMIN_URL, probe_pg, scratch_databases

from bot.roster import ImportResult, RosterError, import_path
from storage.crypto import Keyring
from storage.db import Database
from storage.models import AuditEntry, Base, Engagement, Person, PlatformIdentity


@dataclass
class Step:
    name: str
    rows: int
    seconds: float
    outcome: str


def _outcome(result: ImportResult) -> str:
    parts = []
    for word in ("created", "updated", "removed"):
        table = result.counts()[word]
        if table:
            parts.append(f"{word}: " + ", ".join(f"{k} {v:,}" for k, v in table.items()))
    return "; ".join(parts) or "no change"


async def _import(db: Database, path: Path) -> tuple[ImportResult, float]:
    started = time.perf_counter()
    try:
        async with db.transaction() as s:
            result = await import_path(db=s, path=path, now=NOW)
    except RosterError as exc:
        shown = "\n".join(str(p) for p in exc.problems[:5])
        raise SystemExit(f"{path.name}: {len(exc.problems)} problems:\n{shown}") from None
    return result, time.perf_counter() - started


async def _snapshot(db: Database) -> tuple[Any, ...]:
    async with db.reading() as s:
        people = (
            await s.execute(
                select(
                    Person.email,
                    Person.name,
                    Person.timezone,
                    Person.level,
                    Person.function,
                    Person.cohort,
                    Person.updated_at,
                ).order_by(Person.email)
            )
        ).all()
        engagements = (
            await s.execute(
                select(Engagement.leader_id, Engagement.coach_id, Engagement.status).order_by(
                    Engagement.id
                )
            )
        ).all()
        counts = [
            await s.scalar(select(func.count()).select_from(t))
            for t in (PlatformIdentity, AuditEntry)
        ]
    return tuple(people), tuple(engagements), tuple(counts)


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"check failed: {what}")


async def _fresh(url: str) -> Database:
    db = Database(url, Keyring(["bench-secret"]))
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    return db


async def run_steps(url: str, files: dict[str, Path], roster: Roster) -> list[Step]:
    """Time each import step on a fresh database, checking each outcome."""
    db = await _fresh(url)
    n = len(roster.leaders)
    steps = []
    try:
        result, secs = await _import(db, files["org"])
        _expect(result.created["coach"] == roster.coaches, "every coach created")
        steps.append(Step("org.yaml, first import", roster.coaches, secs, _outcome(result)))
        result, secs = await _import(db, files["leaders"])
        _expect(result.created["leader"] == n, "every leader created")
        steps.append(Step("leaders.csv, first import", n, secs, _outcome(result)))
        result, secs = await _import(db, files["leaders"])
        _expect(not result.changed, f"re-import changed nothing (got {_outcome(result)})")
        steps.append(Step("same leaders.csv again", n, secs, _outcome(result)))
        result, secs = await _import(db, files["edited"])
        _expect(
            result.updated["leader"] == roster.edited_people
            and result.updated["engagement"] == roster.edited_coaches
            and not any(result.created.values()),
            f"edits applied exactly (got {_outcome(result)})",
        )
        steps.append(Step("leaders.csv, ~10% rows edited", n, secs, _outcome(result)))
        before = await _snapshot(db)
        started = time.perf_counter()
        async with db.transaction() as s:  # commits: a rejected file must leave nothing to commit
            try:
                await import_path(db=s, path=files["faulty"], now=NOW)
                raise SystemExit("check failed: the faulty CSV was accepted")
            except RosterError as exc:
                problems = len(exc.problems)
                _expect(not (s.new or s.dirty or s.deleted), "nothing pending after a rejection")
        secs = time.perf_counter() - started
        _expect(problems == roster.faulty_rows, f"{roster.faulty_rows} problems (got {problems})")
        _expect(await _snapshot(db) == before, "nothing written by a rejected file")
        steps.append(Step("leaders.csv, ~1% rows bad", n, secs, f"rejected: {problems} problems"))
        result, secs = await _import(db, files["org"])
        _expect(not result.changed, f"org.yaml re-import changed nothing ({_outcome(result)})")
        steps.append(Step(f"same org.yaml, {n:,} leaders in db", roster.coaches, secs, "no change"))
    finally:
        await db.dispose()
    return steps


async def traced_peak(url: str, files: dict[str, Path]) -> float:
    """Peak traced memory (MiB) of the first CSV import on a fresh database."""
    db = await _fresh(url)
    try:
        await _import(db, files["org"])
        tracemalloc.start()
        await _import(db, files["leaders"])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20
    finally:
        await db.dispose()


async def profiled(url: str, files: dict[str, Path]) -> None:
    """Print a cProfile of the first CSV import on a fresh database (to stderr)."""
    db = await _fresh(url)
    try:
        await _import(db, files["org"])
        profiler = cProfile.Profile()
        profiler.enable()
        await _import(db, files["leaders"])
        profiler.disable()
    finally:
        await db.dispose()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(r"bot/|storage/", 30)
    stats.sort_stats("tottime").print_stats(25)


def _span(values: list[float], fmt: str) -> str:
    low, high = format(min(values), fmt), format(max(values), fmt)
    return low if low == high else f"{low}–{high}"


async def bench(
    label: str,
    make_url: Callable[[], str],
    files: dict[str, Path],
    roster: Roster,
    runs: int,
) -> list[str]:
    """Table lines for one database over `runs` runs."""
    all_runs = [await run_steps(make_url(), files, roster) for _ in range(runs)]
    peaks = [await traced_peak(make_url(), files) for _ in range(runs)]
    lines = []
    for i, step in enumerate(all_runs[0]):
        secs = [r[i].seconds for r in all_runs]
        rates = [step.rows / s for s in secs]
        memory = f"{_span(peaks, '.0f')} MiB" if i == 1 else ""
        lines.append(
            f"| {label} | {step.name} | {step.rows:,} | {_span(secs, '.2f')} "
            f"| {_span(rates, ',.0f')} | {memory} | {step.outcome} |"
        )
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=10_000, help="rows of leaders.csv")
    parser.add_argument("--coaches", type=int, default=200, help="coaches in org.yaml")
    parser.add_argument("--runs", type=int, default=1, help="runs per database (ranges)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the first CSV import")
    args = parser.parse_args()
    if args.leaders < 100 or args.coaches < 10:
        parser.error("use at least 100 leaders and 10 coaches")
    roster = generate(args.leaders, args.coaches, args.seed)
    lines: list[str] = []
    versions = [f"SQLAlchemy {sqlalchemy.__version__}", f"SQLite {sqlite3.sqlite_version}"]
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(tmp, roster)
        counter = iter(range(1000))

        def sqlite_url() -> str:
            return f"sqlite:///{tmp}/bench-{next(counter)}.db"

        if args.profile:
            await profiled(sqlite_url(), files)
        lines += await bench("SQLite", sqlite_url, files, roster, args.runs)
        server = None if args.no_postgres else probe_pg()
        if server is not None:
            with scratch_databases() as pg_url:
                lines += await bench("PostgreSQL", pg_url, files, roster, args.runs)
            versions.append(f"PostgreSQL {server}")
        elif not args.no_postgres:
            print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: skipped", file=sys.stderr)
    print(
        f"\n{args.leaders:,} leaders ({len(roster.zones)} time zones), {args.coaches} coaches, "
        f"{len(PROGRAMMES)} programmes, {args.runs} run(s), seed {args.seed}; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {', '.join(versions)}, "
        f"{datetime.now(UTC):%Y-%m-%d}\n"
    )
    print("| database | step | rows | seconds | rows/s | peak memory | result |")
    print("|---|---|---:|---:|---:|---:|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
