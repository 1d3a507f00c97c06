"""The reporting sync: idempotent, incremental, erasures and corrections, re-keying, no text."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.privacy import erase
from bot.reporting.keys import report_key, session_ident
from bot.reporting.sync import LOOKBACK, sync
from storage.crypto import Keyring
from storage.db import Database
from storage.models import Booking, BookingSeat, Nudge, Person
from storage.reporting.models import DimLeader, FactCheckIn, FactNudge, FactSession, SyncState
from tests.conftest import TEST_SECRET
from tests.factories import T0
from tests.reporting.sync_env import (
    SECRET_WORDS,
    build_org,
    checkin,
    snapshot,
    target,
    values,
)

__all__ = ["target"]

NOW = T0 + timedelta(hours=1)  # before the sessions (1 Dec): all booked


async def test_first_sync_copies_every_table_and_a_second_changes_nothing(
    db: Database, target: Database, keyring: Keyring
) -> None:
    org = await build_org(db, leaders=4)
    first = await sync(source=db, target=target, keyring=keyring, now=NOW)
    assert first.full and not first.rekeyed
    inserted = {name: c.inserted for name, c in first.tables.items()}
    assert inserted == {
        "dim_programme": 1,
        "dim_leader": 4,
        "dim_coach": 1,
        "fact_engagement": 4,
        "fact_session": 4,
        "fact_goal": 4,
        "fact_checkin": 4,
        "fact_nudge": 8,
        "fact_handoff": 4,
    }
    before = await snapshot(target)
    second = await sync(source=db, target=target, keyring=keyring, now=NOW)
    assert not second.full and second.total.changed == 0, second.tables
    assert second.summary() == "0 rows inserted, 0 updated, 0 deleted"
    assert await snapshot(target) == before
    again = await sync(source=db, target=target, keyring=keyring, now=NOW, full=True)
    assert again.full and again.total.changed == 0
    assert await snapshot(target) == before
    leader = report_key(keyring, "leader", org.leaders[0])
    async with target.reading() as s:
        session = await s.get(
            FactSession,
            report_key(keyring, "session", session_ident(org.bookings[0], org.leaders[0])),
        )
        nudge = await s.scalar(
            select(FactNudge).where(FactNudge.leader_key == leader, FactNudge.kind == "checkin")
        )
        state = await s.get(SyncState, 1)
    assert session is not None and session.status == "booked" and session.minutes == 60
    assert str(session.week) == "2026-11-30" and session.kind == "session"
    assert nudge is not None and nudge.status == "answered" and nudge.response_seconds == 1800
    assert state is not None and state.watermark == NOW and state.last_full_at == NOW


async def test_an_incremental_sync_picks_up_changes_and_rewrites_nothing_else(
    db: Database, target: Database, keyring: Keyring
) -> None:
    org = await build_org(db, leaders=4)
    await sync(source=db, target=target, keyring=keyring, now=NOW)
    later = NOW + timedelta(days=1)
    leader = org.leaders[1]
    async with db.transaction() as s:
        s.add(checkin(leader, org.goals[1], "2026-W49", later, level=1))
        await s.execute(
            update(Nudge)
            .where(Nudge.id == org.nudges[1])
            .values(status="answered", answered_at=later)
        )
        await s.execute(
            update(BookingSeat)
            .where(BookingSeat.booking_id == org.bookings[2])
            .values(status="late_cancelled", updated_at=later)
        )
        await s.execute(
            update(Booking)
            .where(Booking.id == org.bookings[2])
            .values(status="late_cancelled", updated_at=later)
        )
    report = await sync(source=db, target=target, keyring=keyring, now=later)
    assert not report.full and report.since == NOW - LOOKBACK
    changed = {n: (c.inserted, c.updated, c.deleted) for n, c in report.tables.items() if c.changed}
    assert changed == {
        "fact_checkin": (1, 0, 0),
        "fact_nudge": (0, 1, 0),
        "fact_session": (0, 1, 0),
    }
    async with target.reading() as s:
        nudge = await s.get(FactNudge, report_key(keyring, "nudge", org.nudges[1]))
        seat = await s.get(
            FactSession,
            report_key(keyring, "session", session_ident(org.bookings[2], org.leaders[2])),
        )
        checkins = await s.scalars(
            select(FactCheckIn.level).where(
                FactCheckIn.leader_key == report_key(keyring, "leader", leader)
            )
        )
        assert sorted(checkins) == [0, 1]
    assert nudge is not None and nudge.status == "answered"
    assert nudge.response_seconds == int((later - T0).total_seconds())
    assert seat is not None and seat.status == "late_cancelled"
    # Time passes: the sessions of 1 Dec end, and are held with no operational row changing.
    after = await sync(source=db, target=target, keyring=keyring, now=later + timedelta(days=7))
    assert after.tables["fact_session"].updated == 3 and after.total.changed == 3
    async with target.reading() as s:
        statuses = sorted((await s.scalars(select(FactSession.status))).all())
    assert statuses == ["held", "held", "held", "late_cancelled"]


async def test_an_erased_leader_is_gone_from_every_table(
    db: Database, target: Database, keyring: Keyring
) -> None:
    org = await build_org(db, leaders=3)
    await sync(source=db, target=target, keyring=keyring, now=NOW)
    gone = report_key(keyring, "leader", org.leaders[0])
    assert gone in values(await snapshot(target))
    async with db.transaction() as s:
        assert await erase(db=s, email="leader@example.com", now=NOW, keyring=keyring) == 1
    report = await sync(source=db, target=target, keyring=keyring, now=NOW + timedelta(hours=1))
    snap = await snapshot(target)
    assert gone not in values(snap)
    assert report.tables["dim_leader"].deleted == 1
    for name in ("fact_engagement", "fact_session", "fact_goal", "fact_checkin", "fact_handoff"):
        assert report.tables[name].deleted == 1, name
        assert len(snap[name]) == 2, name
    assert report.tables["fact_nudge"].deleted == 2 and len(snap["fact_nudge"]) == 4


async def test_a_person_no_longer_a_leader_or_coach_leaves_the_store(
    db: Database, target: Database, keyring: Keyring
) -> None:
    org = await build_org(db, leaders=2)
    await sync(source=db, target=target, keyring=keyring, now=NOW)
    async with db.transaction() as s:
        await s.execute(update(Person).where(Person.id == org.leaders[1]).values(role="admin"))
    await sync(source=db, target=target, keyring=keyring, now=NOW)
    snap = await snapshot(target)
    assert report_key(keyring, "leader", org.leaders[1]) not in values(snap)
    assert len(snap["dim_leader"]) == 1 and len(snap["fact_session"]) == 1
    async with db.transaction() as s:
        coach = org.world.coach.id
        await s.execute(update(Person).where(Person.id == coach).values(role="admin"))
    report = await sync(source=db, target=target, keyring=keyring, now=NOW)
    snap = await snapshot(target)
    assert report_key(keyring, "coach", org.world.coach.id) not in values(snap)
    assert snap["dim_coach"] == [] and snap["fact_session"] == []
    assert report.tables["fact_engagement"].updated == 1  # the engagement stays, coach unknown
    assert [row[2] for row in snap["fact_engagement"]] == [None]


async def test_a_roster_correction_updates_the_leader_dimension(
    db: Database, target: Database, keyring: Keyring
) -> None:
    org = await build_org(db, leaders=2)
    await sync(source=db, target=target, keyring=keyring, now=NOW)
    async with db.transaction() as s:
        await s.execute(
            update(Person)
            .where(Person.id == org.leaders[0])
            .values(cohort="2027-A", level="director", employment_status="promoted")
        )
    report = await sync(source=db, target=target, keyring=keyring, now=NOW)
    assert report.total.changed == 1 and report.tables["dim_leader"].updated == 1
    async with target.reading() as s:
        row = await s.get(DimLeader, report_key(keyring, "leader", org.leaders[0]))
    assert row is not None
    assert (row.cohort, row.level, row.employment_status) == ("2027-A", "director", "promoted")


async def test_a_changed_secret_rekeys_everything(db: Database, target: Database) -> None:
    old, new = Keyring([TEST_SECRET]), Keyring(["a-new-secret", TEST_SECRET])
    await build_org(db, leaders=3)
    await sync(source=db, target=target, keyring=old, now=NOW)
    before = await snapshot(target)
    report = await sync(source=db, target=target, keyring=new, now=NOW)
    assert report.rekeyed and report.full
    after = await snapshot(target)
    assert {n: len(r) for n, r in after.items()} == {n: len(r) for n, r in before.items()}
    keys = {v for v in values(before) if isinstance(v, str) and len(v) == 32}
    assert len(keys) == 26 and not keys & values(after)  # 3 leaders: 26 distinct keys
    assert report.tables["fact_nudge"].deleted == report.tables["fact_nudge"].inserted == 6
    assert (await sync(source=db, target=target, keyring=new, now=NOW)).total.changed == 0


async def test_no_text_reaches_the_reporting_store(
    db: Database, target: Database, keyring: Keyring
) -> None:
    org = await build_org(db, leaders=2)
    await sync(source=db, target=target, keyring=keyring, now=NOW)
    texts = [str(v) for v in values(await snapshot(target)) if isinstance(v, str)]
    people = [org.world.leader.name, org.world.leader.email, org.world.coach.name, "Session with"]
    for word in (*SECRET_WORDS, *people):
        assert not [t for t in texts if word.lower() in t.lower()], word
    assert set(texts) - {"Leadership Programme"} <= {
        t for t in texts if len(t) == 32 or len(t) <= 16
    }
