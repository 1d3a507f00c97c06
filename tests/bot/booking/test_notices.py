"""Announcements: each other party gets one message in their own zone with an invite, once."""

from __future__ import annotations

from datetime import UTC, timedelta

from bot.booking.model import Slot
from bot.booking.notices import announce, join_link_ready
from bot.booking.reminders import when_words
from bot.ui import Message
from prompts import copy_for
from storage.db import Database
from storage.models import (
    Booking,
    CoachProfile,
    Person,
    Programme,
)
from tests.bot.booking.notice_world import (
    NOW,
    START,
    assert_no_secret,
    calendar_of,
    rows,
    seed,
)


async def test_booked_tells_the_coach_in_their_zone_and_returns_the_leaders_copy(
    db: Database,
) -> None:
    ids = await seed(db)
    async with db.transaction() as s:
        booking, leader = await s.get(Booking, ids.booking), await s.get(Person, ids.leader)
        assert booking is not None and leader is not None
        mine = await announce(db=s, booking=booking, event="booked", now=NOW, actor=leader)
    (row,) = await rows(db)
    assert row.person_id == ids.coach and row.kind == "booking" and row.channel == "web"
    assert row.dedupe_key == f"booking:{ids.booking}:0:booked:{ids.coach}"
    to_coach = Message.from_payload(row.payload)
    assert to_coach.title == "Session booked"
    assert "Sam Lee" in to_coach.text and "Tue 1 Dec 2026, 14:00 GMT" in to_coach.text
    assert "60 minutes" in to_coach.text
    coach_cal = calendar_of(to_coach)
    assert "DTSTART;TZID=Europe/London:20261201T140000" in to_coach.attachments[0].content
    assert [tz.tz_name for tz in coach_cal.timezones] == ["Europe/London"]
    assert str(coach_cal["METHOD"]) == "REQUEST"

    assert mine is not None and mine.title == "Session booked"
    assert "Ana Ruiz" in mine.text and "Tue 1 Dec 2026, 09:00 EST" in mine.text
    leader_cal = calendar_of(mine)
    assert "DTSTART;TZID=America/New_York:20261201T090000" in mine.attachments[0].content
    assert leader_cal.events[0].start.astimezone(UTC) == START
    assert coach_cal.events[0].start.astimezone(UTC) == START
    assert_no_secret(to_coach, mine)


async def test_re_announcing_the_same_event_is_deduped(db: Database) -> None:
    ids = await seed(db)
    for _ in range(3):
        async with db.transaction() as s:
            booking, leader = await s.get(Booking, ids.booking), await s.get(Person, ids.leader)
            assert booking is not None
            await announce(db=s, booking=booking, event="booked", now=NOW, actor=leader)
    assert len(await rows(db)) == 1


async def test_without_an_actor_both_parties_are_told(db: Database) -> None:
    ids = await seed(db, kind="chemistry")
    async with db.transaction() as s:
        booking = await s.get(Booking, ids.booking)
        assert booking is not None
        assert await announce(db=s, booking=booking, event="booked", now=NOW, actor=None) is None
    queued = await rows(db)
    assert sorted(r.person_id for r in queued) == sorted([ids.coach, ids.leader])
    for row in queued:
        message = Message.from_payload(row.payload)
        assert message.title == "Chemistry call booked" and "20 minutes" in message.text
        assert message.attachments
        assert_no_secret(message)


async def test_a_move_shows_old_and_new_times_with_a_new_sequence(db: Database) -> None:
    ids = await seed(db)
    new_start = START + timedelta(days=1, hours=2)
    async with db.transaction() as s:
        booking, leader = await s.get(Booking, ids.booking), await s.get(Person, ids.leader)
        assert booking is not None and leader is not None
        await announce(db=s, booking=booking, event="booked", now=NOW, actor=leader)
        previous = Slot(booking.starts_at, booking.ends_at)
        booking.starts_at, booking.ends_at = new_start, new_start + timedelta(hours=1)
        booking.sequence += 1
        booking.updated_at = NOW + timedelta(minutes=5)
        mine = await announce(
            db=s,
            booking=booking,
            event="rescheduled",
            now=NOW + timedelta(minutes=5),
            actor=leader,
            previous=previous,
        )
    _, moved = await rows(db)
    assert moved.dedupe_key == f"booking:{ids.booking}:1:rescheduled:{ids.coach}"
    to_coach = Message.from_payload(moved.payload)
    assert to_coach.title == "Session moved"
    assert "from Tue 1 Dec 2026, 14:00 GMT to Wed 2 Dec 2026, 16:00 GMT" in to_coach.text
    assert mine is not None
    assert "from Tue 1 Dec 2026, 09:00 EST to Wed 2 Dec 2026, 11:00 EST" in mine.text
    event = calendar_of(to_coach).events[0]
    assert int(event["SEQUENCE"]) == 1 and event.start.astimezone(UTC) == new_start


async def test_a_late_cancel_counts_for_the_leader_and_the_coach_gets_a_cancel_invite(
    db: Database,
) -> None:
    ids = await seed(db)
    now = START - timedelta(hours=3)
    async with db.transaction() as s:
        booking, leader = await s.get(Booking, ids.booking), await s.get(Person, ids.leader)
        assert booking is not None and leader is not None
        await s.refresh(booking, ["seats"])
        booking.status, booking.sequence = "late_cancelled", 1
        booking.cancelled_at, booking.cancelled_by_id, booking.updated_at = now, leader.id, now
        booking.seats[0].status, booking.seats[0].cancelled_at = "late_cancelled", now
        mine = await announce(db=s, booking=booking, event="cancelled", now=now, actor=leader)
    (row,) = await rows(db)
    assert row.person_id == ids.coach
    assert row.dedupe_key == f"booking:{ids.booking}:1:cancelled:{ids.coach}"
    to_coach = Message.from_payload(row.payload)
    assert to_coach.title == "Session cancelled"
    assert "Sam Lee" in to_coach.text and "Cancelled by Sam Lee." in to_coach.text
    assert "late cancellation" in to_coach.text
    assert to_coach.attachments[0].filename == "coaching-session-cancelled.ics"
    cal = calendar_of(to_coach)
    assert str(cal["METHOD"]) == "CANCEL" and str(cal.events[0]["STATUS"]) == "CANCELLED"
    assert int(cal.events[0]["SEQUENCE"]) == 1
    assert mine is not None and "counts as one of your sessions" in mine.text
    assert "24 hours" in mine.text and "Cancelled by" not in mine.text
    assert str(calendar_of(mine)["METHOD"]) == "CANCEL"


async def test_a_coach_cancel_tells_the_leader_who_cancelled(db: Database) -> None:
    ids = await seed(db)
    async with db.transaction() as s:
        booking, coach = await s.get(Booking, ids.booking), await s.get(Person, ids.coach)
        assert booking is not None and coach is not None
        await s.refresh(booking, ["seats"])
        booking.status, booking.sequence, booking.cancelled_at = "cancelled", 1, NOW
        booking.seats[0].status, booking.seats[0].cancelled_at = "cancelled", NOW
        mine = await announce(db=s, booking=booking, event="cancelled", now=NOW, actor=coach)
    (row,) = await rows(db)
    assert row.person_id == ids.leader
    to_leader = Message.from_payload(row.payload)
    assert "Cancelled by Ana Ruiz." in to_leader.text and "09:00 EST" in to_leader.text
    assert "counts" not in to_leader.text
    assert str(calendar_of(to_leader)["METHOD"]) == "CANCEL"
    assert mine is not None and "Sam Lee" in mine.text


async def test_join_link_ready_tells_each_party_once(db: Database) -> None:
    ids = await seed(db)
    url = "https://teams.microsoft.com/l/meetup-join/xyz"
    for _ in range(2):
        async with db.transaction() as s:
            booking = await s.get(Booking, ids.booking)
            assert booking is not None
            booking.join_url = url
            await join_link_ready(db=s, booking=booking, now=NOW)
    queued = await rows(db)
    assert sorted(r.person_id for r in queued) == sorted([ids.coach, ids.leader])
    texts = {r.person_id: Message.from_payload(r.payload) for r in queued}
    assert texts[ids.leader].text == f"Your Teams link for Tue 1 Dec 2026, 09:00 EST: {url}"
    assert texts[ids.coach].text == f"Your Teams link for Tue 1 Dec 2026, 14:00 GMT: {url}"
    assert {r.dedupe_key for r in queued} == {
        f"joinlink:{ids.booking}:0:{ids.coach}",
        f"joinlink:{ids.booking}:0:{ids.leader}",
    }
    event = calendar_of(texts[ids.leader]).events[0]
    assert str(event["LOCATION"]) == url


async def test_the_join_link_is_in_the_confirmation_when_known(db: Database) -> None:
    ids = await seed(db)
    async with db.transaction() as s:
        booking = await s.get(Booking, ids.booking)
        assert booking is not None
        booking.join_url = "https://teams.example/join/1"
        await announce(db=s, booking=booking, event="booked", now=NOW, actor=None)
    for row in await rows(db):
        assert "Join online: https://teams.example/join/1" in Message.from_payload(row.payload).text


async def test_a_coach_with_a_connected_calendar_gets_no_second_invite(db: Database) -> None:
    ids = await seed(db)
    async with db.transaction() as s:
        profile = await s.get(CoachProfile, ids.coach)
        assert profile is not None
        profile.calendar_user_id = "ana@example.com"
        booking = await s.get(Booking, ids.booking)
        leader = await s.get(Person, ids.leader)
        assert booking is not None and leader is not None
        mine = await announce(db=s, booking=booking, event="booked", now=NOW, actor=leader)
        booking.join_url = "https://teams.example/meet/1"
        await join_link_ready(db=s, booking=booking, now=NOW)
    assert mine is not None and len(mine.attachments) == 1  # the leader still gets the invite
    to_coach = [Message.from_payload(r.payload) for r in await rows(db) if r.person_id == ids.coach]
    assert len(to_coach) == 2 and all(not m.attachments for m in to_coach)
    assert "https://teams.example/meet/1" in to_coach[1].text


async def test_a_one_hour_late_window_says_an_hour_not_1_hours(db: Database) -> None:
    ids = await seed(db)
    cancel_at = START - timedelta(minutes=30)
    async with db.transaction() as s:
        programme = await s.get(Programme, ids.programme)
        booking, sam = await s.get(Booking, ids.booking), await s.get(Person, ids.leader)
        assert programme is not None and booking is not None and sam is not None
        programme.late_cancel_hours = 1
        await s.refresh(booking, ["seats"])
        booking.status, booking.cancelled_at, booking.sequence = "late_cancelled", cancel_at, 1
        booking.seats[0].status, booking.seats[0].cancelled_at = "late_cancelled", cancel_at
        mine = await announce(db=s, booking=booking, event="cancelled", now=cancel_at, actor=sam)
    (row,) = await rows(db)
    to_coach = Message.from_payload(row.payload)
    assert mine is not None and "less than an hour before the start" in mine.text
    assert "less than an hour before the start" in to_coach.text
    assert "1 hours" not in mine.text + to_coach.text


def test_reminder_words_say_1_minute_and_1_hour_in_the_singular() -> None:
    copy = copy_for("en")

    def words(minutes: float) -> str:
        return when_words(copy, starts_at=START, now=START - timedelta(minutes=minutes), zone="UTC")

    assert words(1) == "in 1 minute"
    assert words(0.2) == "in 1 minute"
    assert words(2) == "in 2 minutes"
    assert words(60) == "in 1 hour"
    assert words(120) == "in 2 hours"
