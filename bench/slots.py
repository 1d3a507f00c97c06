"""Benchmark: a leader's first page of open slots, is_open, and the top-3 coach match.

Run:  .venv/bin/python bench/slots.py [--db sqlite|postgresql|both] [--coaches 500]
                                      [--leaders 4000] [--samples 300] [--seed 7] [--profile]

Builds (seeded) one organisation on a freshly migrated database: coaches in many IANA zones
with realistic weekly availability (3-5 weekdays, one or two windows a day, some windows
touching), 10-15 min buffers and 12-48 h notice; calendar busy blocks (source 'calendar') for
most coaches and a few away periods; confirmed one-to-one bookings filling ~60-70% of each
coach's capacity over the 4-week horizon (capacity = the most sessions that fit around the
buffers and calendar blocks) plus four weeks of past ('held') sessions; leaders (90% matched)
each holding their seats. Then it times, each sample in its own read session:

- first page: `slots_for` + `by_day` for a matched leader, keeping the first 7 days with slots
  (the people and programme are loaded first, untimed, as the flow already has them);
- is_open: the check `book` makes before inserting, for one offered slot;
- top-3: `bot.booking.matching.top_matches(db=, engagement=, now=)` for an unmatched leader.

Each measure prints p50 / p95 / max wall time and the median CPU time of this process (Python
plus the aiosqlite thread; not the PostgreSQL server), which shows how much of a slow sample
was waiting for a CPU on a busy machine. --profile prints a cProfile of the first-page samples
on SQLite to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import func, insert, make_url, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # scratch_db, next to this file

from scratch_db import PG_ADMIN_URL, probe_pg, scratch_databases

from bot.booking.availability import is_open, slots_for
from bot.booking.model import Interval, Slot
from bot.booking.slots import SlotRules, by_day, open_slots
from bot.timefmt import zone_info
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade_sync
from storage.models import (
    AvailabilityWindow,
    Booking,
    BookingSeat,
    CoachBusy,
    CoachProfile,
    Engagement,
    Organisation,
    Person,
    Programme,
)

try:
    from bot.booking.matching import top_matches
except ImportError:  # pragma: no cover - matching not built yet
    top_matches = None  # type: ignore[assignment]

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday morning
HORIZON_DAYS = 28
SESSION = timedelta(minutes=60)
MODALITIES = ("leadership", "career", "executive", "team")
ZONES = (  # where coaches and leaders live (weights favour the first ones)
    "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "America/Chicago",
    "America/Los_Angeles", "Europe/Paris", "Asia/Singapore", "Australia/Sydney", "Asia/Tokyo",
    "America/Sao_Paulo", "Africa/Johannesburg", "Asia/Dubai", "Pacific/Auckland",
    "America/Toronto", "Europe/Madrid", "America/Mexico_City", "Africa/Lagos", "Europe/Warsaw",
    "Asia/Shanghai", "America/St_Johns", "Asia/Kathmandu", "Australia/Adelaide",
    "Pacific/Chatham", "America/Santiago", "Europe/Istanbul", "Asia/Tehran", "Atlantic/Azores",
)  # fmt: skip
LANGUAGES = ("en", "es", "de", "fr", "pt", "ja", "zh", "hi")
CREDENTIALS = (("ICF", "ACC"), ("ICF", "PCC"), ("ICF", "MCC"), ("EMCC", "Practitioner"))


@dataclass
class World:
    coaches: int = 0
    leaders: int = 0
    windows: int = 0
    bookings: int = 0
    past: int = 0
    calendar: int = 0
    away: int = 0
    booked_share: list[float] = field(default_factory=list)
    matched_engagements: list[int] = field(default_factory=list)
    unmatched_engagements: list[int] = field(default_factory=list)


def _zone(rng: random.Random) -> str:
    return rng.choices(ZONES, weights=[max(1, 30 - 2 * i) for i in range(len(ZONES))])[0]


def _windows(rng: random.Random) -> list[tuple[int, clock, clock]]:
    """3-5 weekdays; per day one block, two blocks with lunch, or two touching blocks."""
    found = []
    for day in sorted(rng.sample(range(5), rng.randint(3, 5))):
        start = rng.choice((7, 8, 8, 9, 9, 10))
        shape = rng.random()
        if shape < 0.4:
            found.append((day, clock(start), clock(start + rng.choice((3, 4, 6)))))
        elif shape < 0.8:
            found.append((day, clock(start), clock(12)))
            found.append((day, clock(13), clock(rng.choice((15, 16, 17)), rng.choice((0, 30)))))
        else:
            found.append((day, clock(start), clock(12)))
            found.append((day, clock(12), clock(rng.choice((14, 15)))))
    return found


def _calendar_blocks(rng: random.Random, zone: str) -> list[Interval]:
    """3-8 meetings a week (30-120 min) in the coach's local working day, over 8 weeks."""
    blocks = []
    here = zone_info(zone)
    first = (NOW - timedelta(days=14)).astimezone(here).date()
    for week in range(8):
        for _ in range(rng.randint(3, 8)):
            day = first + timedelta(days=7 * week + rng.randint(0, 4))
            start = datetime.combine(day, clock(rng.randint(8, 16), rng.choice((0, 30))))
            begins = start.replace(tzinfo=here).astimezone(UTC)
            blocks.append((begins, begins + timedelta(minutes=rng.choice((30, 60, 60, 90, 120)))))
    return blocks


def _pack(slots: list[Slot], buffer: timedelta) -> list[Slot]:
    """The most sessions that fit, earliest first, each clear of the last one's buffer."""
    packed: list[Slot] = []
    for slot in slots:
        if not packed or slot.starts_at >= packed[-1].ends_at + buffer:
            packed.append(slot)
    return packed


def _row(**values: Any) -> dict[str, Any]:
    return values


async def build(db: Database, coaches: int, leaders: int, seed: int) -> World:
    """Seed one organisation: coaches, windows, busy blocks, bookings and leaders."""
    rng = random.Random(seed)
    world = World(coaches=coaches, leaders=leaders)
    async with db.transaction() as s:
        org = Organisation(slug="bench", name="Bench Org", created_at=NOW)
        s.add(org)
        await s.flush()
        programmes = [
            Programme(
                organisation_id=org.id,
                slug=m,
                name=f"{m.title()} 2026",
                modality=m,
                booking_horizon_days=HORIZON_DAYS,
                created_at=NOW,
            )
            for m in MODALITIES
        ]
        s.add_all(programmes)
        await s.flush()
        people: list[dict[str, Any]] = []
        pid = 0
        coach_rows = []
        for i in range(coaches):
            pid += 1
            zone = _zone(rng)
            people.append(
                _row(id=pid, organisation_id=org.id, email=f"coach{i}@bench.example",
                     name=f"Coach {i}", role="coach", timezone=zone, created_at=NOW,
                     updated_at=NOW)
            )  # fmt: skip
            coach_rows.append((pid, zone))
        leader_rows = []
        for i in range(leaders):
            pid += 1
            people.append(
                _row(id=pid, organisation_id=org.id, email=f"leader{i}@bench.example",
                     name=f"Leader {i}", role="leader", timezone=_zone(rng),
                     locale=rng.choice(LANGUAGES), created_at=NOW, updated_at=NOW)
            )  # fmt: skip
            leader_rows.append(pid)
        await s.execute(insert(Person), people)
        profiles, windows, busy = [], [], []
        rules: dict[int, SlotRules] = {}
        calendar: dict[int, list[Interval]] = {}
        for coach_id, zone in coach_rows:
            body, level = rng.choice(CREDENTIALS)
            buffer = rng.choice((10, 15, 15))
            own = _windows(rng)
            profiles.append(
                _row(person_id=coach_id, accreditation_body=body, accreditation_level=level,
                     modalities=rng.sample(MODALITIES, rng.randint(1, 3)),
                     languages=["en", *rng.sample(LANGUAGES[1:], rng.randint(0, 2))],
                     capacity=rng.randint(8, 14), buffer_minutes=buffer,
                     min_notice_hours=rng.choice((12, 24, 24, 48)),
                     calendar_user_id=f"coach{coach_id}@bench.example")
            )  # fmt: skip
            windows += [_row(coach_id=coach_id, weekday=d, starts=a, ends=b) for d, a, b in own]
            rules[coach_id] = SlotRules(
                zone=zone,
                windows=tuple(own),
                length=SESSION,
                buffer=timedelta(minutes=buffer),
                min_notice=timedelta(0),
                horizon=timedelta(days=HORIZON_DAYS),
            )
            blocks = _calendar_blocks(rng, zone) if rng.random() < 0.8 else []
            if rng.random() < 0.05:
                away_from = NOW + timedelta(days=rng.randint(3, 20))
                busy.append(
                    _row(coach_id=coach_id, source="away", starts_at=away_from,
                         ends_at=away_from + timedelta(days=rng.randint(2, 5)), created_at=NOW)
                )  # fmt: skip
                world.away += 1
            calendar[coach_id] = blocks
            busy += [
                _row(coach_id=coach_id, source="calendar", starts_at=a, ends_at=b, created_at=NOW)
                for a, b in blocks
            ]
        await s.execute(insert(CoachProfile), profiles)
        await s.execute(insert(AvailabilityWindow), windows)
        if busy:
            await s.execute(insert(CoachBusy), busy)
        world.windows, world.calendar = len(windows), len(busy) - world.away
        # leaders: 90% matched to a coach offering their programme's modality
        modalities = {p["person_id"]: p["modalities"] for p in profiles}
        by_modality = {m: [c for c, _ in coach_rows if m in modalities[c]] for m in MODALITIES}
        engagements, clients = [], {c: [] for c, _ in coach_rows}
        for eid, leader_id in enumerate(leader_rows, start=1):
            programme = rng.choices(programmes, weights=(55, 25, 10, 10))[0]
            coach_id = None
            if rng.random() < 0.9 and by_modality[programme.modality]:
                coach_id = rng.choice(by_modality[programme.modality])
                clients[coach_id].append((leader_id, eid, programme.id))
                world.matched_engagements.append(eid)
            else:
                world.unmatched_engagements.append(eid)
            engagements.append(
                _row(id=eid, leader_id=leader_id, coach_id=coach_id, programme_id=programme.id,
                     started_on=date(2026, 10, 5), created_at=NOW)
            )  # fmt: skip
        await s.execute(insert(Engagement), engagements)
        bookings, seats = [], []
        for coach_id, _ in coach_rows:
            if not clients[coach_id]:
                continue
            rule = rules[coach_id]
            for now, status in ((NOW - timedelta(days=HORIZON_DAYS), "held"), (NOW, "confirmed")):
                offered = open_slots(rules=rule, now=now, coach_busy=calendar[coach_id])
                packed = _pack(offered, rule.buffer)
                share = rng.uniform(0.6, 0.7)
                chosen = sorted(rng.sample(packed, round(share * len(packed))))
                if status == "confirmed" and packed:
                    world.booked_share.append(len(chosen) / len(packed))
                for slot in chosen:
                    leader_id, eid, programme_id = rng.choice(clients[coach_id])
                    bid = len(bookings) + 1
                    bookings.append(
                        _row(id=bid, engagement_id=eid, leader_id=leader_id, coach_id=coach_id,
                             programme_id=programme_id, status=status, starts_at=slot.starts_at,
                             ends_at=slot.ends_at, seats_taken=1, ics_uid=f"bench-{bid}",
                             updated_at=NOW, created_at=NOW)
                    )  # fmt: skip
                    seats.append(
                        _row(booking_id=bid, leader_id=leader_id, engagement_id=eid,
                             starts_at=slot.starts_at, ends_at=slot.ends_at, updated_at=NOW,
                             created_at=NOW)
                    )  # fmt: skip
                    if status == "held":
                        world.past += 1
                    else:
                        world.bookings += 1
        for start in range(0, len(bookings), 5000):
            await s.execute(insert(Booking), bookings[start : start + 5000])
            await s.execute(insert(BookingSeat), seats[start : start + 5000])
    await db.dispose()  # no pooled connection may pin an old snapshot
    if db.is_postgres:  # what autovacuum would have done by then
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
    else:  # fold the bulk load out of the WAL, as the regular checkpoints of a live app would
        path = make_url(db.url).database
        with closing(sqlite3.connect(str(path))) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return world


@dataclass
class Timings:
    name: str
    ms: list[float]
    cpu: list[float]

    def row(self, label: str) -> str:
        data = sorted(self.ms)
        p95 = statistics.quantiles(data, n=100, method="inclusive")[94]
        return (
            f"| {label} | {self.name} | {len(data)} | {statistics.median(data):.1f} "
            f"| {p95:.1f} | {data[-1]:.1f} | {statistics.median(self.cpu):.1f} |"
        )


async def _people(s: Any, engagement_id: int) -> tuple[Engagement, Person, Person, Programme]:
    engagement = await s.get(Engagement, engagement_id)
    leader = await s.get(Person, engagement.leader_id)
    programme = await s.get(Programme, engagement.programme_id)
    coach = await s.get(Person, engagement.coach_id) if engagement.coach_id else None
    return engagement, leader, coach, programme


class Clock:
    """Wall and CPU milliseconds (CPU of this process: Python and the aiosqlite thread)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return (
            (time.perf_counter() - self.wall) * 1000,
            (time.process_time() - self.cpu) * 1000,
        )


async def first_page(db: Database, engagement_id: int) -> tuple[float, ...]:
    """(wall, cpu) ms for slots_for + by_day, the same for is_open, and slots on the page."""
    async with db.reading() as s:
        _, leader, coach, programme = await _people(s, engagement_id)
        clock = Clock()
        slots = await slots_for(db=s, coach=coach, leader=leader, programme=programme, now=NOW)
        page = by_day(slots, leader.timezone)[:7]
        page_ms = clock.read()
        shown = sum(len(day) for _, day in page)
        if not page:
            return (*page_ms, float("nan"), float("nan"), 0)
        pick = page[len(page) // 2][1][0]
        clock = Clock()
        ok = await is_open(db=s, coach=coach, leader=leader, programme=programme, slot=pick,
                           now=NOW)  # fmt: skip
        open_ms = clock.read()
        if not ok:
            raise SystemExit(f"check failed: an offered slot is not open ({engagement_id})")
        return (*page_ms, *open_ms, shown)


async def top3(db: Database, engagement_id: int) -> tuple[float, ...]:
    """(wall, cpu) ms for top_matches, and the number of matches returned."""
    async with db.reading() as s:
        engagement = await s.get(Engagement, engagement_id)
        clock = Clock()
        found = await top_matches(db=s, engagement=engagement, now=NOW)
        return (*clock.read(), len(found))


async def _timed(
    samples: list[int], run: Callable[[int], Awaitable[tuple[float, ...]]], warm: int = 10
) -> list[tuple[float, ...]]:
    for eid in samples[:warm]:
        await run(eid)
    return [await run(eid) for eid in samples]


async def bench(label: str, url: str, args: argparse.Namespace) -> tuple[list[str], World, str]:
    """Table lines for one database."""
    upgrade_sync(url)
    db = Database(url, Keyring(["bench-secret"]))
    try:
        started = time.perf_counter()
        world = await build(db, args.coaches, args.leaders, args.seed)
        seeded = time.perf_counter() - started
        rng = random.Random(args.seed + 1)
        picks = rng.sample(
            world.matched_engagements, min(args.samples, len(world.matched_engagements))
        )
        profiler = cProfile.Profile() if args.profile and label == "SQLite" else None
        if profiler:
            profiler.enable()
        pages = await _timed(picks, lambda e: first_page(db, e))
        if profiler:
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(r"bot/|storage/|sqlalchemy", 30)
        name = "first page (slots_for + by_day, 7 days)"
        page_t = Timings(name, [p[0] for p in pages], [p[1] for p in pages])
        done = [p for p in pages if p[4]]
        open_t = Timings("is_open (one offered slot)", [p[2] for p in done], [p[3] for p in done])
        empty = len(pages) - len(done)
        shown = statistics.median(p[4] for p in pages)
        lines = [page_t.row(label), open_t.row(label)]
        if top_matches is not None:
            unmatched = world.unmatched_engagements
            unmatched = rng.sample(unmatched, min(args.samples, len(unmatched)))
            matches = await _timed(unmatched, lambda e: top3(db, e))
            timed = Timings("top-3 match", [m[0] for m in matches], [m[1] for m in matches])
            lines.append(timed.row(label))
            few = sum(1 for m in matches if m[2] < 3)
        else:
            few = -1
        async with db.reading() as s:
            rows = {
                t.__tablename__: await s.scalar(select(func.count()).select_from(t))
                for t in (Booking, BookingSeat, CoachBusy, AvailabilityWindow)
            }
        note = (
            f"{label}: seeded in {seeded:.1f} s; rows {rows}; median {shown:.0f} slots on a "
            f"first page; {empty} sampled leaders had no slot; "
            + (f"{few} top-3 lists shorter than 3" if few >= 0 else "matching not importable")
        )
        return lines, world, note
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--coaches", type=int, default=500)
    parser.add_argument("--leaders", type=int, default=4000)
    parser.add_argument("--samples", type=int, default=300, help="timed leaders per measure")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile first pages (SQLite)")
    args = parser.parse_args()
    if args.coaches < 10 or args.leaders < 100:
        parser.error("use at least 10 coaches and 100 leaders")
    lines: list[str] = []
    notes: list[str] = []
    versions = [f"SQLAlchemy {sqlalchemy.__version__}", f"SQLite {sqlite3.sqlite_version}"]
    world = None
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            got, world, note = await bench("SQLite", f"sqlite:///{tmp}/bench.db", args)
            lines += got
            notes.append(note)
    if args.db in ("postgresql", "both"):
        server = probe_pg()
        if server is None:
            print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: skipped", file=sys.stderr)
        else:
            with scratch_databases() as pg_url:
                got, world, note = await bench("PostgreSQL", pg_url(), args)
                lines += got
                notes.append(note)
            versions.append(f"PostgreSQL {server}")
    if world is None:
        raise SystemExit("no database measured")
    share = statistics.mean(world.booked_share)
    print(
        f"\n{world.coaches} coaches ({len(ZONES)} zones, {world.windows:,} weekly windows), "
        f"{world.leaders:,} leaders ({len(world.unmatched_engagements)} unmatched), "
        f"{world.bookings:,} upcoming bookings ({share:.0%} of capacity) + {world.past:,} past, "
        f"{world.calendar:,} calendar blocks, {world.away} away periods; horizon "
        f"{HORIZON_DAYS} days; {args.samples} samples; seed {args.seed}; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {', '.join(versions)}, {datetime.now(UTC):%Y-%m-%d}; "
        f"load average at the end {os.getloadavg()[0]:.1f}\n"
    )
    print("| database | measure | samples | p50 ms | p95 ms | max ms | CPU p50 ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(lines))
    print("\n" + "\n".join(notes))


if __name__ == "__main__":
    asyncio.run(main())
