"""Seeded operational data for bench/reporting.py: a year of coaching for many leaders.

Bulk Core inserts with explicit ids, a chunk of leaders per transaction (goal titles and levels
go through the keyring like any app write; check-in notes and handoff texts are left NULL, as
the sync never reads them). Then `one_day` applies a day of new activity and status changes.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from storage.db import Database
from storage.models import (
    Booking,
    BookingSeat,
    CheckIn,
    CoachProfile,
    Engagement,
    Goal,
    Handoff,
    Nudge,
    Organisation,
    Person,
    Programme,
)

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # a Tuesday morning: this week's check-ins out
THIS_MONDAY = date(2026, 11, 23)
DAY_END = NOW + timedelta(days=1)  # the simulated day of new activity ends here
CHUNK = 500  # leaders per transaction (about 80,000 fact rows)
PROGRAMMES = (  # name, modality, share of leaders
    ("Leading at Scale 2026", "leadership", 0.55),
    ("Career Conversations 2026", "career", 0.25),
    ("Executive Coaching 2026", "executive", 0.10),
    ("Team Leads 2026", "team", 0.10),
)
COHORTS = ("2026-spring", "2026-autumn", "2027-spring")
LEVELS = ("Manager", "Senior Manager", "Director", "Vice President", "Team Lead")
FUNCTIONS = ("Operations", "Finance", "Engineering", "Sales", "People", "Product", "Research")
REGIONS = ("Americas", "EMEA", "APAC")
EMPLOYMENT = (("employed", 85), ("promoted", 6), ("moved_role", 5), ("left", 4))
SESSION_OUTCOMES = (  # booking status, seat status, weight (past sessions)
    ("held", "confirmed", 45),
    ("confirmed", "confirmed", 37),  # not marked: held once it has ended
    ("no_show", "confirmed", 4),
    ("cancelled", "cancelled", 8),
    ("late_cancelled", "late_cancelled", 6),
)
HANDOFFS = (("agenda", "agenda", 40), ("shared", "shared", 25), ("private", "private", 20))
HANDOFFS += (("agenda", "offered", 10), ("shared", "withdrawn", 4), ("risk", "shared", 1))
FACTS = ("goals", "nudges", "checkins", "bookings", "seats", "handoffs")


@dataclass
class World:
    """What was generated: row counts per table and the ids the day of activity needs."""

    leaders: int
    coaches: int
    weeks: int
    rows: Counter[str] = field(default_factory=Counter)
    next_id: Counter[str] = field(default_factory=Counter)
    day: Counter[str] = field(default_factory=Counter)

    def new_id(self, table: str) -> int:
        """The next explicit id of a table."""
        self.next_id[table] += 1
        return self.next_id[table]

    @property
    def facts(self) -> int:
        """Operational rows the sync turns into facts (engagements included)."""
        return sum(self.rows[t] for t in (*FACTS, "engagements") if t != "bookings")


def period(day: date) -> str:
    """The ISO week label of a day, as nudges and check-ins store it."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _pick(rng: random.Random, table: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(table, weights=[row[-1] for row in table])[0]


async def build(db: Database, leaders: int, weeks: int, seed: int) -> World:
    """The organisation, 4 programmes, ~leaders/100 coaches, then the leaders chunk by chunk."""
    rng = random.Random(seed)
    coaches = max(1, leaders // 100)
    world = World(leaders, coaches, weeks)
    at = datetime.combine(THIS_MONDAY - timedelta(weeks=weeks), datetime.min.time(), UTC)
    async with db.transaction() as s:
        await s.execute(
            insert(Organisation), [{"id": 1, "slug": "bench", "name": "Bench", "created_at": at}]
        )
        await s.execute(
            insert(Programme),
            [
                {"id": i + 1, "organisation_id": 1, "slug": f"p{i}", "name": name,
                 "modality": modality, "sessions_per_leader": 18, "created_at": at}
                for i, (name, modality, _) in enumerate(PROGRAMMES)
            ],
        )  # fmt: skip
        await s.execute(insert(Person), [_person(c + 1, "coach", at, rng) for c in range(coaches)])
        await s.execute(
            insert(CoachProfile),
            [
                {"person_id": c + 1, "accreditation_body": "ICF", "accreditation_level": "PCC",
                 "capacity": rng.randint(100, 130)}
                for c in range(coaches)
            ],
        )  # fmt: skip
    world.rows["people"] += coaches
    first = coaches + 1
    for start in range(first, first + leaders, CHUNK):
        tables: dict[str, list[dict[str, Any]]] = {t: [] for t in ("people", "engagements")}
        tables |= {t: [] for t in FACTS}
        for pid in range(start, min(first + leaders, start + CHUNK)):
            _leader(rng, world, pid, at, tables)
        async with db.transaction() as s:
            for name, model in (
                ("people", Person),
                ("engagements", Engagement),
                ("goals", Goal),
                ("nudges", Nudge),
                ("checkins", CheckIn),
                ("bookings", Booking),
                ("seats", BookingSeat),
                ("handoffs", Handoff),
            ):
                if tables[name]:
                    await s.execute(insert(model), tables[name])
                world.rows[name] += len(tables[name])
    return world


def _person(pid: int, role: str, at: datetime, rng: random.Random) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": pid, "organisation_id": 1, "email": f"p{pid}@bench.example", "name": f"P {pid}",
        "role": role, "timezone": "UTC", "created_at": at, "updated_at": at,
    }  # fmt: skip
    if role == "leader":
        row |= {"cohort": rng.choice(COHORTS), "level": rng.choice(LEVELS)}
        row |= {"function": rng.choice(FUNCTIONS), "region": rng.choice(REGIONS)}
        row["employment_status"] = _pick(rng, EMPLOYMENT)[0]
    return row


def _monday(world: World, week: int) -> date:
    return THIS_MONDAY - timedelta(weeks=world.weeks - 1 - week)


def _at(day: date, hours: float) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hours)


def _leader(
    rng: random.Random, world: World, pid: int, at: datetime, out: dict[str, list[dict[str, Any]]]
) -> None:
    """One leader's engagement, goals, weekly nudges and check-ins, sessions and handoffs."""
    out["people"].append(_person(pid, "leader", at, rng))
    programme = 1 + [p[0] for p in PROGRAMMES].index(_pick(rng, PROGRAMMES)[0])
    index = pid - world.coaches - 1
    coach, k = 1 + index % world.coaches, index // world.coaches  # k: place in the coach's book
    started = rng.randint(0, min(8, world.weeks - 1))
    ended = rng.randint(started + 4, world.weeks + 3) if rng.random() < 0.06 else None
    ended = ended if ended is not None and ended < world.weeks - 1 else None
    last = world.weeks - 1 if ended is None else ended
    out["engagements"].append(
        {"id": pid, "leader_id": pid, "coach_id": coach, "programme_id": programme,
         "status": "withdrawn" if ended is not None else "active",
         "started_on": _monday(world, started), "created_at": at,
         "ended_on": _monday(world, ended) + timedelta(days=4) if ended is not None else None}
    )  # fmt: skip
    goals: list[tuple[int, int, int]] = []  # id, created week, baseline
    for n in range(1, rng.choices((1, 2, 3), weights=(35, 45, 20))[0] + 1):
        week = started if n == 1 or rng.random() < 0.7 else rng.randint(started, last)
        baseline = rng.choices((-2, -1, 0), weights=(25, 65, 10))[0]
        status = rng.choices(("active", "achieved", "dropped"), weights=(85, 10, 5))[0]
        created = _at(_monday(world, week), 10)
        goals.append((pid * 4 + n, week, baseline))
        out["goals"].append(
            {"id": pid * 4 + n, "engagement_id": pid, "leader_id": pid, "position": n,
             "title": f"Goal {n}", "levels": {"0": "as expected"}, "baseline_level": baseline,
             "themes": ["delegation"], "status": status, "created_at": created,
             "updated_at": created if status == "active" else NOW - timedelta(days=20)}
        )  # fmt: skip
    drift = rng.uniform(0.0, 0.08)  # GAS levels gained per week
    for week in range(started, last + 1):
        monday = _monday(world, week)
        current = week == world.weeks - 1
        answered = _nudge(rng, world, pid, "checkin", monday, current, out)
        for goal, created, baseline in goals if answered else ():
            if created <= week:
                gained = drift * (week - created) + rng.gauss(0, 0.5)
                level = max(-2, min(2, round(baseline + gained)))
                out["checkins"].append(
                    {"id": world.new_id("checkins"), "goal_id": goal, "leader_id": pid,
                     "period": period(monday), "level": level, "t_score": 50.0 + 10 * level,
                     "confidence": rng.choice((None, 2, 3, 3, 4, 4, 5)), "answered_at": answered,
                     "created_at": answered}
                )  # fmt: skip
        if (week + pid) % 2 == 0:
            _nudge(rng, world, pid, "reflection", monday + timedelta(days=3), current, out)
        if week % 3 == k % 3:  # the coach's slot k // 3 in every third week: no overlap
            _session(rng, world, pid, coach, programme, k, monday, out)
    for ahead in (1, 2):  # booked sessions ahead, in the next two weeks
        if (world.weeks - 1 + ahead) % 3 == k % 3 and ended is None:
            _session(
                rng, world, pid, coach, programme, k, THIS_MONDAY + timedelta(weeks=ahead), out
            )


def _nudge(
    rng: random.Random,
    world: World,
    pid: int,
    kind: str,
    day: date,
    current: bool,
    out: dict[str, list[dict[str, Any]]],
) -> datetime | None:
    """A nudge of `kind` due on `day`; when it was answered (None: not answered)."""
    due = _at(day, 9 if kind == "checkin" else 16) + timedelta(hours=rng.uniform(-8, 8))
    row: dict[str, Any] = {"id": world.new_id("nudges"), "person_id": pid, "kind": kind,
                           "period": period(day), "due_at": due,
                           "created_at": due - timedelta(days=6)}  # fmt: skip
    roll = rng.random()
    answered: datetime | None = None
    if due > NOW:
        row["status"] = "scheduled"
    elif roll < 0.10:
        row["status"], row["skip_reason"] = "skipped", "paused"
    else:
        row["sent_at"] = due
        answered = due + timedelta(hours=rng.expovariate(1 / 8))
        if roll < 0.70 and answered < NOW:
            row["status"], row["answered_at"] = "answered", answered
        else:
            row["status"], answered = ("sent" if current else "ignored"), None
    out["nudges"].append(row)
    return answered


def _session(
    rng: random.Random,
    world: World,
    pid: int,
    coach: int,
    programme: int,
    k: int,
    monday: date,
    out: dict[str, list[dict[str, Any]]],
) -> None:
    """A one-to-one in the coach's slot k//3 of the week (no two live bookings of a coach meet)."""
    slot = k // 3
    starts = _at(monday + timedelta(days=slot % 5), 8 + slot // 5)
    ends = starts + timedelta(hours=1)
    status, seat = _pick(rng, SESSION_OUTCOMES)[:2] if ends <= NOW else ("confirmed", "confirmed")
    made = starts - timedelta(days=rng.randint(3, 20))
    cancelled = starts - timedelta(hours=rng.randint(2, 200)) if seat != "confirmed" else None
    changed = cancelled or (ends + timedelta(hours=1) if status != "confirmed" else made)
    booking = world.new_id("bookings")
    out["bookings"].append(
        {"id": booking, "engagement_id": pid, "leader_id": pid, "coach_id": coach,
         "programme_id": programme, "kind": "session", "status": status, "starts_at": starts,
         "ends_at": ends, "capacity": 1, "seats_taken": 0 if cancelled else 1, "title": "",
         "ics_uid": f"bench-{booking}", "created_at": made, "updated_at": changed,
         "cancelled_at": cancelled}
    )  # fmt: skip
    out["seats"].append(
        {"id": booking, "booking_id": booking, "leader_id": pid, "engagement_id": pid,
         "status": seat, "starts_at": starts, "ends_at": ends, "created_at": made,
         "updated_at": changed, "cancelled_at": cancelled}
    )  # fmt: skip
    if rng.random() < 0.25 and seat == "confirmed":
        kind, status, _ = _pick(rng, HANDOFFS)
        created = starts - timedelta(days=2)
        shared = created + timedelta(hours=1) if status in ("shared", "agenda") else None
        out["handoffs"].append(
            {"id": world.new_id("handoffs"), "leader_id": pid, "coach_id": coach,
             "booking_id": booking, "kind": kind, "status": status, "created_at": created,
             "shared_at": shared, "delivered_at": shared if status == "shared" else None}
        )  # fmt: skip


async def one_day(db: Database, world: World, seed: int) -> Counter[str]:
    """A day of activity up to DAY_END: answers, check-ins, sessions held, bookings, changes."""
    rng = random.Random(seed + 1)
    day = world.day
    week = period(THIS_MONDAY)
    async with db.transaction() as s:
        sent = (
            await s.execute(
                select(Nudge.id, Nudge.person_id, Nudge.sent_at)
                .where(Nudge.status == "sent", Nudge.kind == "checkin", Nudge.period == week)
                .order_by(Nudge.id)
            )
        ).all()
        answers = rng.sample(sent, len(sent) * 2 // 5)
        moments = {n: NOW + timedelta(hours=rng.uniform(0, 24)) for n, _, _ in answers}
        if answers:
            await s.execute(
                update(Nudge),  # ORM bulk update by primary key
                [{"id": n, "status": "answered", "answered_at": moments[n]} for n in moments],
            )
        day["nudges answered"] += len(answers)
        who = {p: moments[n] for n, p, _ in answers}
        mine = select(Goal.id, Goal.leader_id).where(Goal.leader_id.in_(list(who)))
        goals = (await s.execute(mine.where(Goal.created_at <= NOW).order_by(Goal.id))).all()
        rows = [
            {"id": world.new_id("checkins"), "goal_id": g, "leader_id": p, "period": week,
             "level": rng.randint(-1, 1), "t_score": 50.0, "confidence": 3,
             "answered_at": who[p], "created_at": who[p]}
            for g, p in goals
        ]  # fmt: skip
        if rows:
            await s.execute(insert(CheckIn), rows)
        day["check-ins"] += len(rows)
        live = select(Booking.id).where(Booking.status == "confirmed", Booking.starts_at >= NOW)
        today = (await s.scalars(live.where(Booking.starts_at < DAY_END))).all()
        marks = [{"id": b, "status": "no_show" if rng.random() < 0.05 else "held",
                  "updated_at": DAY_END - timedelta(hours=2)} for b in today]  # fmt: skip
        if marks:
            await s.execute(update(Booking), marks)  # ORM bulk update by primary key
        day["sessions marked"] += len(marks)
        ahead = (await s.scalars(live.where(Booking.starts_at >= DAY_END))).all()
        cancels = rng.sample(list(ahead), min(len(ahead), world.leaders // 200))
        at = NOW + timedelta(hours=10)
        for model, key in ((Booking, "id"), (BookingSeat, "booking_id")):
            if cancels:
                await s.execute(
                    update(model)
                    .where(getattr(model, key).in_(cancels))
                    .values(status="cancelled", updated_at=at, cancelled_at=at)
                )
        day["sessions cancelled"] += len(cancels)
        new: dict[str, list[dict[str, Any]]] = {"bookings": [], "seats": [], "handoffs": []}
        saturday = THIS_MONDAY + timedelta(days=12)
        for c in range(world.coaches):
            for k in range(min(6, world.leaders // world.coaches)):  # Saturday slots: free
                pid = world.coaches + 1 + c + k * world.coaches
                if pid <= world.coaches + world.leaders:
                    _session(rng, world, pid, 1 + c, 1, k * 15, saturday, new)  # Sat, 8+k h
        for row in new["bookings"] + new["seats"]:
            row["created_at"] = row["updated_at"] = NOW + timedelta(hours=3)
        for row in new["handoffs"]:
            row |= {"created_at": NOW + timedelta(hours=4), "status": "offered", "kind": "agenda"}
            row |= {"shared_at": None, "delivered_at": None}
        for name, model in (("bookings", Booking), ("seats", BookingSeat), ("handoffs", Handoff)):
            if new[name]:
                await s.execute(insert(model), new[name])
        day["sessions booked"] += len(new["bookings"])
        day["handoffs made"] += len(new["handoffs"])
        achieved = rng.sample(range(world.coaches + 1, world.coaches + world.leaders + 1), 100)
        await s.execute(
            update(Goal)
            .where(Goal.leader_id.in_(achieved), Goal.position == 1, Goal.status == "active")
            .values(status="achieved", updated_at=NOW + timedelta(hours=5))
        )
        day["goals achieved (up to)"] += len(achieved)
        promoted = rng.sample(range(world.coaches + 1, world.coaches + world.leaders + 1), 20)
        await s.execute(
            update(Person)
            .where(Person.id.in_(promoted))
            .values(employment_status="promoted", updated_at=NOW + timedelta(hours=6))
        )
        day["leaders promoted (roster)"] += len(promoted)
    return day
