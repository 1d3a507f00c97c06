"""Reminders: each party once per offset, at the right real instant, never for stale sessions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.booking.model import Slot
from bot.booking.reminders import remind_due
from bot.booking.service import book, cancel
from bot.ui import Message, plain
from storage.db import Database
from storage.models import Booking, BookingSeat, Engagement, OutboxMessage, Person, Programme
from tests.factories import T0, make_world

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # Tue 09:00 EST (New York), 14:00 GMT (London)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class Ids:
    booking: int
    coach: int
    leader: int
    programme: int


async def seed(
    db: Database,
    *,
    start: datetime = START,
    booked_at: datetime = T0,
    offsets: list[int] | None = None,
    in_programme: bool = True,
) -> Ids:
    """make_world (coach in London), and a confirmed one-to-one with the leader's seat."""
    async with db.transaction() as s:
        w = await make_world(s)
        w.coach.timezone = "Europe/London"
        if offsets is not None:
            w.programme.reminder_offsets_minutes = offsets
        booking = Booking(
            engagement_id=w.engagement.id,
            leader_id=w.leader.id,
            coach_id=w.coach.id,
            programme_id=w.programme.id if in_programme else None,
            starts_at=start,
            ends_at=start + HOUR,
            seats_taken=1,
            ics_uid="b1@coach-companion",
            created_at=booked_at,
            updated_at=booked_at,
        )
        s.add(booking)
        await s.flush()
        s.add(
            BookingSeat(
                booking_id=booking.id,
                leader_id=w.leader.id,
                engagement_id=w.engagement.id,
                starts_at=start,
                ends_at=start + HOUR,
                created_at=booked_at,
                updated_at=booked_at,
            )
        )
    return Ids(booking.id, w.coach.id, w.leader.id, w.programme.id)


async def sweep(db: Database, now: datetime) -> int:
    async with db.transaction() as s:
        return await remind_due(db=s, now=now)


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.reading() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def keys(db: Database) -> set[str]:
    return {r.dedupe_key or "" for r in await rows(db)}


async def first_sends(
    db: Database, start: datetime, end: datetime, step: timedelta = timedelta(minutes=5)
) -> dict[datetime, int]:
    """Sweep at start, start+step, ... end; the instants that queued anything, with counts."""
    sent: dict[datetime, int] = {}
    now = start
    while now <= end:
        count = await sweep(db, now)
        if count:
            sent[now] = count
        now += step
    return sent


async def test_24_hour_and_1_hour_reminders_at_the_right_instants(db: Database) -> None:
    ids = await seed(db)
    sent = await first_sends(db, START - DAY - 2 * HOUR, START + 10 * MIN)
    assert sent == {START - DAY: 2, START - HOUR: 2}
    assert await keys(db) == {
        f"reminder:{ids.booking}:0:{offset}:{person}"
        for offset in (1440, 60)
        for person in (ids.coach, ids.leader)
    }
    by_key = {r.dedupe_key: r for r in await rows(db)}
    day_leader = by_key[f"reminder:{ids.booking}:0:1440:{ids.leader}"]
    assert day_leader.person_id == ids.leader and day_leader.kind == "reminder"
    message = Message.from_payload(day_leader.payload)
    assert message.title == "Reminder" and not message.attachments
    assert message.text == (
        "Reminder: your coaching session with Ana Ruiz is tomorrow, Tue 1 Dec 2026, 09:00 EST."
    )
    hour_coach = Message.from_payload(by_key[f"reminder:{ids.booking}:0:60:{ids.coach}"].payload)
    assert hour_coach.text == (
        "Reminder: your coaching session with Sam Lee is in 1 hour, Tue 1 Dec 2026, 14:00 GMT."
    )


async def test_running_again_sends_nothing_twice(db: Database) -> None:
    await seed(db)
    assert await sweep(db, START - DAY) == 2
    assert await sweep(db, START - DAY) == 0
    assert await sweep(db, START - DAY + 5 * MIN) == 0
    assert await sweep(db, START - HOUR + MIN) == 2
    assert await sweep(db, START - HOUR + 2 * MIN) == 0
    assert await sweep(db, START - MIN) == 0
    assert await sweep(db, START) == 0  # started: nothing more
    assert len(await rows(db)) == 4


async def test_concurrent_sweeps_queue_each_reminder_once(db: Database) -> None:
    await seed(db)
    others = [Database(db.url, db.keyring) for _ in range(3)]
    try:
        counts = await asyncio.gather(*(sweep(d, START - DAY) for d in (db, *others)))
    finally:
        for other in others:
            await other.dispose()
    assert sum(counts) == 2
    assert len(await rows(db)) == 2


async def test_no_reminders_for_a_cancelled_session(db: Database) -> None:
    ids = await seed(db)
    async with db.transaction() as s:
        booking = await s.get(Booking, ids.booking)
        assert booking is not None
        booking.status, booking.cancelled_at, booking.sequence = "cancelled", T0, 1
    assert await first_sends(db, START - DAY - HOUR, START, step=15 * MIN) == {}


async def test_a_moved_session_gets_fresh_reminders_for_its_new_time_only(db: Database) -> None:
    ids = await seed(db)
    assert await sweep(db, START - DAY) == 2  # 24-h reminders of the old time
    moved_at = START - DAY + HOUR
    new_start = START + 2 * DAY
    async with db.transaction() as s:
        booking = await s.get(Booking, ids.booking)
        assert booking is not None
        await s.refresh(booking, ["seats"])
        booking.starts_at, booking.ends_at = new_start, new_start + HOUR
        booking.sequence, booking.updated_at = 1, moved_at
        booking.seats[0].starts_at, booking.seats[0].ends_at = new_start, new_start + HOUR
        booking.seats[0].updated_at = moved_at
    sent = await first_sends(db, moved_at, new_start + HOUR, step=15 * MIN)
    assert sent == {new_start - DAY: 2, new_start - HOUR: 2}  # nothing at the old START - 1 h
    assert await keys(db) == {
        f"reminder:{ids.booking}:{seq}:{offset}:{person}"
        for seq, offsets in ((0, (1440,)), (1, (1440, 60)))
        for offset in offsets
        for person in (ids.coach, ids.leader)
    }


async def test_a_session_moved_to_within_a_day_skips_the_24_hour_reminder(db: Database) -> None:
    ids = await seed(db)
    moved_at = START - 3 * DAY
    new_start = moved_at + 5 * HOUR
    async with db.transaction() as s:
        booking = await s.get(Booking, ids.booking)
        assert booking is not None
        booking.starts_at, booking.ends_at = new_start, new_start + HOUR
        booking.sequence, booking.updated_at = 1, moved_at
    sent = await first_sends(db, moved_at, new_start, step=15 * MIN)
    assert sent == {new_start - HOUR: 2}


async def test_booked_three_hours_ahead_gets_only_the_1_hour_reminder(db: Database) -> None:
    booked_at = START - 3 * HOUR
    await seed(db, booked_at=booked_at)
    sent = await first_sends(db, booked_at, START + HOUR)
    assert sent == {START - HOUR: 2}


async def test_a_sweep_that_was_down_still_reminds_before_the_start(db: Database) -> None:
    ids = await seed(db)
    late = START - 30 * MIN  # both instants passed while nothing ran
    assert await sweep(db, late) == 2
    assert await keys(db) == {
        f"reminder:{ids.booking}:0:60:{ids.coach}",
        f"reminder:{ids.booking}:0:60:{ids.leader}",
    }  # only the latest: a 'tomorrow' reminder now would be wrong
    texts = [Message.from_payload(r.payload).text for r in await rows(db)]
    assert all("is in 30 minutes" in t for t in texts)
    assert await sweep(db, START - MIN) == 0


async def test_per_programme_offsets(db: Database) -> None:
    await seed(db, offsets=[2880, 120])
    sent = await first_sends(db, START - 3 * DAY, START, step=15 * MIN)
    assert sent == {START - 2 * DAY: 2, START - 2 * HOUR: 2}
    texts = [Message.from_payload(r.payload).text for r in await rows(db)]
    assert sum("in 2 days" in t for t in texts) == 2
    assert sum("in 2 hours" in t for t in texts) == 2


async def test_a_programme_without_reminders_gets_none(db: Database) -> None:
    await seed(db, offsets=[])
    assert await first_sends(db, START - 2 * DAY, START, step=15 * MIN) == {}


async def test_a_session_outside_any_programme_gets_the_defaults(db: Database) -> None:
    await seed(db, in_programme=False, offsets=[30])
    sent = await first_sends(db, START - 2 * DAY, START, step=15 * MIN)
    assert sent == {START - DAY: 2, START - HOUR: 2}


async def test_dst_week_the_24_hour_reminder_is_24_real_hours_before(db: Database) -> None:
    # 09:00 in New York on Mon 2 Nov 2026, the day after US clocks went back: 14:00 UTC.
    start = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    await seed(db, start=start, booked_at=datetime(2026, 10, 20, tzinfo=UTC))
    sent = await first_sends(db, start - 2 * DAY, start, step=15 * MIN)
    assert sent == {start - DAY: 2, start - HOUR: 2}
    texts = {r.person_id: Message.from_payload(r.payload).text for r in (await rows(db))[:2]}
    assert any("is tomorrow, Mon 2 Nov 2026, 09:00 EST." in t for t in texts.values())
    assert any("is tomorrow, Mon 2 Nov 2026, 14:00 GMT." in t for t in texts.values())


async def test_dst_day_the_24_hour_reminder_is_not_local_wall_clock(db: Database) -> None:
    # 09:00 EST on Sun 1 Nov 2026 (14:00 UTC); 24 real hours before is 10:00 EDT on Sat 31 Oct,
    # not 09:00 EDT (13:00 UTC) as the same wall-clock time a day earlier would be.
    start = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    await seed(db, start=start, booked_at=datetime(2026, 10, 20, tzinfo=UTC))
    sent = await first_sends(db, start - DAY - 2 * HOUR, start - DAY + HOUR, step=15 * MIN)
    assert sent == {start - DAY: 2}
    assert datetime(2026, 10, 31, 14, tzinfo=UTC) == start - DAY


async def test_group_session_reminds_the_coach_and_each_seat_taken_in_time(db: Database) -> None:
    ids = await seed(db)
    async with db.transaction() as s:
        booking = await s.get(Booking, ids.booking)
        sam = await s.get(Person, ids.leader)
        assert booking is not None and sam is not None
        booking.kind, booking.title, booking.capacity, booking.leader_id = (
            "group",
            "Leading change",
            4,
            None,
        )
        booking.seats_taken = 2
        jo = Person(
            organisation_id=sam.organisation_id,
            email="jo@example.com",
            name="Jo Park",
            role="leader",
            timezone="Australia/Sydney",
            created_at=T0,
            updated_at=T0,
        )
        s.add(jo)
        await s.flush()
        s.add(
            Engagement(
                leader_id=jo.id,
                coach_id=ids.coach,
                programme_id=ids.programme,
                started_on=date(2026, 11, 2),
                created_at=T0,
            )
        )
        joined = START - DAY + 2 * MIN  # just after the 24-h instant, before the next sweep
        booking.updated_at = joined  # as join_group does
        s.add(
            BookingSeat(
                booking_id=booking.id,
                leader_id=jo.id,
                starts_at=START,
                ends_at=START + HOUR,
                created_at=joined,
                updated_at=joined,
            )
        )
        jo_id = jo.id
    assert await sweep(db, START - DAY + 5 * MIN) == 2  # coach and Sam; Jo hadn't joined yet
    assert await sweep(db, START - HOUR) == 3
    by_key = {r.dedupe_key: Message.from_payload(r.payload) for r in await rows(db)}
    assert f"reminder:{ids.booking}:0:1440:{jo_id}" not in by_key
    to_jo = by_key[f"reminder:{ids.booking}:0:60:{jo_id}"]
    assert plain(to_jo.text) == (
        "Reminder: your group session “Leading change” with Ana Ruiz is in 1 hour, "
        "Wed 2 Dec 2026, 01:00 AEDT."
    )
    to_coach = by_key[f"reminder:{ids.booking}:0:60:{ids.coach}"]
    assert plain(to_coach.text) == (
        "Reminder: your group session “Leading change” is in 1 hour, Tue 1 Dec 2026, "
        "14:00 GMT. 2 of 4 places taken."
    )


async def test_join_link_is_in_the_reminder(db: Database) -> None:
    ids = await seed(db)
    async with db.transaction() as s:
        booking = await s.get(Booking, ids.booking)
        programme = await s.get(Programme, ids.programme)
        assert booking is not None and programme is not None
        booking.join_url = "https://teams.example/join/1"
    await sweep(db, START - HOUR)
    for row in await rows(db):
        message = Message.from_payload(row.payload)
        assert "Join online: https://teams.example/join/1" in message.text
        assert not message.attachments


async def test_through_the_booking_service_book_remind_cancel(db: Database) -> None:
    start = datetime(2026, 12, 1, 8, tzinfo=UTC)  # Tue 09:00 in Madrid, the coach's window
    async with db.transaction() as s:
        w = await make_world(s)
        outcome = await book(db=s, engagement=w.engagement, slot=Slot(start, start + HOUR), now=T0)
        booking_id, leader_id, coach_id = outcome.booking.id, w.leader.id, w.coach.id
    assert outcome.notice is not None and "Tue 1 Dec 2026, 03:00 EST" in outcome.notice.text
    (told,) = await rows(db)
    assert (
        told.person_id == coach_id
        and told.dedupe_key == f"booking:{booking_id}:0:booked:{coach_id}"
    )
    assert await sweep(db, start - DAY) == 2
    async with db.transaction() as s:
        booking, leader = await s.get(Booking, booking_id), await s.get(Person, leader_id)
        assert booking is not None and leader is not None
        await cancel(db=s, booking=booking, by=leader, now=start - 20 * HOUR)
    assert await first_sends(db, start - 20 * HOUR, start, step=15 * MIN) == {}
    last = (await rows(db))[-1]
    assert last.dedupe_key == f"booking:{booking_id}:1:cancelled:{coach_id}"
    to_coach = Message.from_payload(last.payload).text
    assert "late cancellation" in to_coach and "counts as one of your" not in to_coach
