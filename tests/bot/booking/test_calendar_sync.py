"""Calendar sync of the core: queued event syncs, and busy time read through the Graph fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.booking import availability
from bot.booking.calendar import bucket_for_mailbox, queue_sync, sync_busy
from bot.booking.model import Slot
from bot.dispatcher import Dispatcher
from bot.jobs import JobContext, calendar_sweep
from handlers.graph.calendar import GraphCalendar
from storage.db import Database
from storage.models import (
    Booking,
    CoachBusy,
    CoachProfile,
    OutboxMessage,
    Person,
    Programme,
)
from tests.factories import T0, World, add_booking, make_world
from tests.handlers.graph.fakes import Scripted, busy_item, graph_env

MAILBOX = "ana.ruiz@acme.example"
DEC1 = datetime(2026, 12, 1, tzinfo=UTC)  # a Tuesday: the world's coach is open 09-12 Madrid


async def connect(db: Database, world: World, mailbox: str | None = MAILBOX) -> None:
    async with db.transaction() as s:
        profile = await s.get(CoachProfile, world.coach.id)
        assert profile is not None
        profile.calendar_user_id = mailbox


async def test_queue_sync_writes_one_task_per_booking_change(db: Database) -> None:
    async with db.transaction() as s:
        world = await make_world(s)
        booking = add_booking(s, world, DEC1 + timedelta(hours=8))
        await s.flush()
        await queue_sync(db=s, booking=booking, now=T0)  # no calendar connected: nothing
    assert await _count(db, OutboxMessage) == 0
    await connect(db, world)
    async with db.transaction() as s:
        again = await s.get(Booking, booking.id)
        assert again is not None
        await queue_sync(db=s, booking=again, now=T0)
        await queue_sync(db=s, booking=again, now=T0)  # same sequence: deduplicated
        again.sequence += 1
        await queue_sync(db=s, booking=again, now=T0)
    async with db.reading() as s:
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.dedupe_key for r in rows] == [f"calendar:{booking.id}:0", f"calendar:{booking.id}:1"]
    for row in rows:
        assert (row.person_id, row.channel, row.kind) == (world.coach.id, "calendar", "calendar")
        assert row.bucket == f"calendar:{MAILBOX}" and row.status == "pending"
        assert row.payload == {"task": {"booking_id": booking.id}}


def test_a_very_long_mailbox_still_fits_the_bucket_column() -> None:
    bucket = bucket_for_mailbox("x" * 300 + "@acme.example")
    assert len(bucket) <= 96 and bucket.startswith("calendar:#")
    assert bucket == bucket_for_mailbox("X" * 300 + "@ACME.example")


async def test_busy_time_is_stored_and_respected_by_slots(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as s:
        world = await make_world(s)
        s.add(
            CoachBusy(
                coach_id=world.coach.id,
                source="away",
                starts_at=DEC1 + timedelta(days=14),
                ends_at=DEC1 + timedelta(days=15),
                created_at=T0,
            )
        )
        own = add_booking(s, world, DEC1 + timedelta(days=7, hours=8))
    await connect(db, world)
    before = await _slots(db, world)
    assert any(s.starts_at.date() == DEC1.date() for s in before)
    async with graph_env(tmp_path) as env:
        env.graph.schedules[MAILBOX] = [
            busy_item("2026-12-01T09:00:00", "2026-12-01T10:00:00"),
            busy_item("2026-12-08T08:00:00", "2026-12-08T09:00:00"),  # our own booked session
            busy_item("2026-12-09T08:00:00", "2026-12-09T09:00:00", "free"),
        ]
        synced = await sync_busy(database=db, calendar=GraphCalendar(env.client), now=T0)
        assert synced == 1
        (body,) = env.graph.bodies
        assert body["endTime"]["dateTime"] == "2026-12-22T10:00:00"  # T0 + 28 days
    busy = await _busy(db, world)
    assert busy == [
        ("away", DEC1 + timedelta(days=14), DEC1 + timedelta(days=15)),
        ("calendar", DEC1 + timedelta(hours=9), DEC1 + timedelta(hours=10)),
    ]
    after = await _slots(db, world)
    assert after and len(after) < len(before)
    for slot in after:
        assert not slot.overlaps(DEC1 + timedelta(hours=9), DEC1 + timedelta(hours=10))
    assert not any(s.starts_at.date() == DEC1.date() for s in after)  # 15-minute buffers
    async with db.reading() as s:
        profile = await s.get(CoachProfile, world.coach.id)
        assert profile is not None
        assert profile.calendar_synced_at == T0 and profile.calendar_error is None
    assert own.id is not None


async def test_a_new_read_replaces_the_old_busy_rows(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as s:
        world = await make_world(s)
    await connect(db, world)
    async with graph_env(tmp_path) as env:
        cal = GraphCalendar(env.client)
        env.graph.schedules[MAILBOX] = [busy_item("2026-12-01T09:00:00", "2026-12-01T10:00:00")]
        await sync_busy(database=db, calendar=cal, now=T0)
        env.graph.schedules[MAILBOX] = [busy_item("2026-12-02T09:00:00", "2026-12-02T10:00:00")]
        later = T0 + timedelta(minutes=10)
        assert await sync_busy(database=db, calendar=cal, now=later) == 1
    assert await _busy(db, world) == [
        ("calendar", DEC1 + timedelta(days=1, hours=9), DEC1 + timedelta(days=1, hours=10))
    ]


async def test_a_failed_read_keeps_the_old_rows_and_notes_why(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as s:
        world = await make_world(s)
    await connect(db, world)
    async with graph_env(tmp_path) as env:
        cal = GraphCalendar(env.client)
        env.graph.schedules[MAILBOX] = [busy_item("2026-12-01T09:00:00", "2026-12-01T10:00:00")]
        await sync_busy(database=db, calendar=cal, now=T0)
        env.graph.script("getSchedule", Scripted(403))
        assert await sync_busy(database=db, calendar=cal, now=T0 + timedelta(hours=1)) == 0
        env.graph.unreadable.add(MAILBOX)
        assert await sync_busy(database=db, calendar=cal, now=T0 + timedelta(hours=2)) == 0
    assert len(await _busy(db, world)) == 1
    async with db.reading() as s:
        profile = await s.get(CoachProfile, world.coach.id)
        assert profile is not None
        assert profile.calendar_synced_at == T0
        assert profile.calendar_error == "the calendar returned no schedule"


async def test_a_graph_error_is_noted_without_secrets(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as s:
        world = await make_world(s)
    await connect(db, world)
    async with graph_env(tmp_path) as env:
        env.authority.refuse = True
        assert await sync_busy(database=db, calendar=GraphCalendar(env.client), now=T0) == 0
    async with db.reading() as s:
        profile = await s.get(CoachProfile, world.coach.id)
        assert profile is not None and profile.calendar_error is not None
        assert profile.calendar_error == "token refused (invalid_client)"
        assert profile.calendar_synced_at is None


async def test_mailboxes_go_twenty_at_a_time_over_the_longest_horizon(
    db: Database, tmp_path: Path
) -> None:
    async with db.transaction() as s:
        world = await make_world(s)
        world.programme.booking_horizon_days = 42
        for n in range(24):
            coach = Person(
                organisation_id=world.org.id,
                email=f"coach{n}@example.com",
                name=f"Coach {n}",
                role="coach",
                timezone="Europe/London",
                created_at=T0,
                updated_at=T0,
            )
            s.add(coach)
            await s.flush()
            s.add(
                CoachProfile(
                    person_id=coach.id,
                    accreditation_body="ICF",
                    accreditation_level="PCC",
                    calendar_user_id=f"coach{n}@acme.example",
                )
            )
    await connect(db, world)
    async with graph_env(tmp_path) as env:
        env.graph.schedules["coach3@acme.example"] = [
            busy_item("2026-12-01T09:00:00", "2026-12-01T10:00:00")
        ]
        ctx = JobContext(
            db, Dispatcher(database=db, senders={}, clock=lambda: T0), GraphCalendar(env.client)
        )
        assert await calendar_sweep(ctx, T0) == "25 calendars synced"
        sizes = [len(b["schedules"]) for b in env.graph.bodies]
        assert sizes == [20, 20, 5]
        # the world's coach (first by id) has a 42-day programme: its batch reads 42 days, in
        # two getSchedule windows (31 + 11 days); the second batch the default 28 days
        ends = [b["endTime"]["dateTime"] for b in env.graph.bodies]
        assert ends == ["2026-12-25T10:00:00", "2027-01-05T10:00:00", "2026-12-22T10:00:00"]
        assert env.authority.token_requests == 1
    async with db.reading() as s:
        synced = await s.scalar(select(func.count()).where(CoachProfile.calendar_synced_at == T0))
        rows = await s.scalar(select(func.count()).select_from(CoachBusy))
    assert synced == 25 and rows == 1


async def _slots(db: Database, world: World) -> list[Slot]:
    async with db.reading() as s:
        coach = await s.get(Person, world.coach.id)
        leader = await s.get(Person, world.leader.id)
        programme = await s.get(Programme, world.programme.id)
        assert coach and leader and programme
        return await availability.slots_for(
            db=s, coach=coach, leader=leader, programme=programme, now=T0
        )


async def _busy(db: Database, world: World) -> list[tuple[str, datetime, datetime]]:
    async with db.reading() as s:
        rows = await s.execute(
            select(CoachBusy.source, CoachBusy.starts_at, CoachBusy.ends_at)
            .where(CoachBusy.coach_id == world.coach.id)
            .order_by(CoachBusy.source, CoachBusy.starts_at)
        )
        return [(r[0], r[1], r[2]) for r in rows.all()]


async def _count(db: Database, model: type[OutboxMessage]) -> int:
    async with db.reading() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)
