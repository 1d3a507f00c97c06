"""Fixtures and builders for the reporting sync tests: a reporting store per test, a small org."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade_sync
from storage.models import (
    Booking,
    BookingSeat,
    CheckIn,
    Engagement,
    Goal,
    Handoff,
    Nudge,
    Person,
)
from storage.reporting.models import ReportingBase
from tests.factories import T0, World, add_person, make_world

SECRET_WORDS = ("Hold hard conversations", "I froze in the meeting", "felt stuck", "Sam Lee")
"""Text written into the operational store that must never reach the reporting store."""


async def fresh_reporting(url: str, keyring: Keyring) -> Database:
    """The reporting store at `url` (migrated), emptied."""
    store = Database(url, keyring)
    async with store.transaction() as s:
        for table in reversed(ReportingBase.metadata.sorted_tables):
            await s.execute(delete(table))
    return store


@pytest.fixture
async def target(
    request: pytest.FixtureRequest, db: Database, tmp_path: object, keyring: Keyring
) -> AsyncIterator[Database]:
    """A reporting store on the same engine as the operational `db` (SQLite→SQLite, PG→PG)."""
    if db.is_sqlite:
        url = f"sqlite:///{tmp_path}/reporting.db"
        upgrade_sync(url, store="reporting")
    else:
        url = request.getfixturevalue("reporting_pg_url")
    store = await fresh_reporting(url, keyring)
    try:
        yield store
    finally:
        await store.dispose()


@dataclass
class Org:
    """The ids of a small organisation with a fact of every kind per leader."""

    world: World
    leaders: list[int] = field(default_factory=list)
    bookings: list[int] = field(default_factory=list)
    goals: list[int] = field(default_factory=list)
    nudges: list[int] = field(default_factory=list)


COHORTS = ("2026-A", "2026-B")


async def build_org(db: Database, leaders: int = 4) -> Org:
    """`leaders` leaders (the world's first), each with an engagement, a session, a goal and
    check-in, a sent and an answered nudge, and a handoff; sessions on 1 Dec 2026 09:00 UTC."""
    async with db.transaction() as s:
        w = await make_world(s)
        org = Org(world=w)
        people = [w.leader]
        for i in range(1, leaders):
            people.append(
                await add_person(
                    s, w, email=f"l{i}@example.com", name=f"L {i}", role="leader", timezone="UTC"
                )
            )
        for i, p in enumerate(people):
            p.cohort, p.level, p.function, p.region = COHORTS[i % 2], "senior", "ops", "EMEA"
            engagement = w.engagement
            if p.id != w.leader.id:
                engagement = Engagement(
                    leader_id=p.id,
                    coach_id=w.coach.id,
                    programme_id=w.programme.id,
                    started_on=date(2026, 11, 2),
                    created_at=T0,
                )
                s.add(engagement)
                await s.flush()
            org.leaders.append(p.id)
            starts = datetime(2026, 12, 1, 9, tzinfo=T0.tzinfo) + timedelta(hours=i)
            booking = Booking(
                engagement_id=engagement.id,
                leader_id=p.id,
                coach_id=w.coach.id,
                programme_id=w.programme.id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                seats_taken=1,
                ics_uid=f"uid-{i}",
                title="Session with Sam Lee",
                created_at=T0,
                updated_at=T0,
            )
            booking.seats.append(
                BookingSeat(
                    leader_id=p.id,
                    engagement_id=engagement.id,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1),
                    created_at=T0,
                    updated_at=T0,
                )
            )
            goal = Goal(
                engagement_id=engagement.id,
                leader_id=p.id,
                title=SECRET_WORDS[0],
                levels={"0": SECRET_WORDS[2]},
                created_at=T0,
                updated_at=T0,
            )
            s.add_all([booking, goal])
            await s.flush()
            org.bookings.append(booking.id)
            org.goals.append(goal.id)
            s.add(checkin(p.id, goal.id, "2026-W48", T0, level=0))
            sent = Nudge(
                person_id=p.id,
                kind="reflection",
                period="2026-W48",
                due_at=T0,
                status="sent",
                sent_at=T0,
                created_at=T0,
            )
            answered = Nudge(
                person_id=p.id,
                kind="checkin",
                period="2026-W48",
                due_at=T0,
                status="answered",
                sent_at=T0,
                answered_at=T0 + timedelta(minutes=30),
                created_at=T0,
            )
            s.add_all([sent, answered])
            s.add(
                Handoff(
                    leader_id=p.id,
                    coach_id=w.coach.id,
                    kind="agenda",
                    text=SECRET_WORDS[1],
                    status="agenda",
                    created_at=T0,
                )
            )
            await s.flush()
            org.nudges.append(sent.id)
    return org


def checkin(leader: int, goal: int, period: str, at: datetime, *, level: int) -> CheckIn:
    """A check-in with a confidential note."""
    return CheckIn(
        goal_id=goal,
        leader_id=leader,
        period=period,
        level=level,
        confidence=3,
        note=SECRET_WORDS[2],
        t_score=50.0 + 10 * level,
        answered_at=at,
        created_at=at,
    )


async def snapshot(store: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every reporting table's rows, sorted (sync_state left out)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with store.reading() as s:
        for table in ReportingBase.metadata.sorted_tables:
            if table.name == "sync_state":
                continue
            rows = (await s.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def values(snap: dict[str, list[tuple[Any, ...]]]) -> set[Any]:
    """Every value stored in a snapshot."""
    return {v for rows in snap.values() for row in rows for v in row}


async def person(db: Database, ident: int) -> Person:
    """A person, loaded in a short read."""
    async with db.reading() as s:
        found = await s.get(Person, ident)
        assert found is not None
        return found
