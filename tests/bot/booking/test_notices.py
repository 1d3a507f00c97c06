"""Announcements: each other party gets one message in their own zone with an invite, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from bot.booking.model import Slot
from bot.booking.notices import announce, join_link_ready
from bot.booking.reminders import when_words
from bot.ui import Message
from prompts import copy_for
from storage.db import Database
from storage.models import (
    Booking,
    BookingSeat,
    CoachProfile,
    Engagement,
    OutboxMessage,
    Person,
    Programme,
)
from tests.factories import T0, add_goal, make_world

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 EST in New York, 14:00 GMT in London
NOW = T0
HOUR = timedelta(hours=1)
SECRET = "I am afraid my team will find out about the merger"


@dataclass
class Ids:
    booking: int
    coach: int
    leader: int
    programme: int


async def seed(db: Database, *, kind: str = "session", start: datetime = START) -> Ids:
    """make_world with the coach in London, and a confirmed booking with the leader's seat."""
    async with db.transaction() as s:
        w = await make_world(s)
        w.coach.timezone = "Europe/London"
        add_goal(s, w, SECRET, {"0": SECRET})
        booking = Booking(
            engagement_id=w.engagement.id,
            leader_id=w.leader.id,
            coach_id=w.coach.id,
            programme_id=w.programme.id,
            kind=kind,
            starts_at=start,
            ends_at=start + timedelta(minutes=20 if kind == "chemistry" else 60),
            seats_taken=1,
            ics_uid="b1@coach-companion",
            created_at=NOW,
            updated_at=NOW,
        )
        s.add(booking)
        await s.flush()
        s.add(seat(booking, w.leader.id, w.engagement.id))
    return Ids(booking.id, w.coach.id, w.leader.id, w.programme.id)


def seat(booking: Booking, leader_id: int, engagement_id: int | None) -> BookingSeat:
    return BookingSeat(
        booking_id=booking.id,
        leader_id=leader_id,
        engagement_id=engagement_id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        created_at=NOW,
        updated_at=NOW,
    )


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.reading() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def calendar_of(message: Message) -> Calendar:
    (attachment,) = message.attachments
    cal = Calendar.from_ical(attachment.content)
    assert isinstance(cal, Calendar)
    return cal


def assert_no_secret(*messages: Message) -> None:
    for message in messages:
        assert SECRET not in message.model_dump_json()
        for attachment in message.attachments:
            assert SECRET not in attachment.content


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


async def group(db: Database) -> tuple[Ids, int]:
    """A group session of 3 seats with the world's leader in it and a second leader, Jo."""
    ids = await seed(db)
    async with db.transaction() as s:
        booking = await s.get(Booking, ids.booking)
        assert booking is not None
        booking.kind, booking.title, booking.capacity, booking.leader_id = (
            "group",
            "Leading change",
            3,
            None,
        )
        sam = await s.get(Person, ids.leader)
        assert sam is not None
        jo = Person(
            organisation_id=sam.organisation_id,
            email="jo@example.com",
            name="Jo Park",
            role="leader",
            timezone="Australia/Sydney",
            created_at=NOW,
            updated_at=NOW,
        )
        s.add(jo)
        await s.flush()
        engagement = Engagement(
            leader_id=jo.id,
            coach_id=ids.coach,
            programme_id=ids.programme,
            started_on=date(2026, 11, 2),
            created_at=NOW,
        )
        s.add(engagement)
        await s.flush()
    return ids, jo.id


async def test_joining_a_group_tells_the_coach_who_and_how_full(db: Database) -> None:
    ids, jo_id = await group(db)
    joined_at = NOW + timedelta(hours=1)
    async with db.transaction() as s:
        booking, jo = await s.get(Booking, ids.booking), await s.get(Person, jo_id)
        assert booking is not None and jo is not None
        new = seat(booking, jo.id, None)
        new.created_at = new.updated_at = joined_at
        s.add(new)
        booking.seats_taken = 2
        mine = await announce(
            db=s, booking=booking, event="joined", now=joined_at, actor=jo, seat_leader=jo
        )
        again = await announce(
            db=s, booking=booking, event="joined", now=joined_at, actor=jo, seat_leader=jo
        )
    (row,) = await rows(db)  # the coach only: the other leader isn't told, the joiner replied to
    assert row.person_id == ids.coach
    to_coach = Message.from_payload(row.payload)
    assert to_coach.title == "Someone joined your group session"
    assert "Jo Park joined your group session “Leading change”" in to_coach.text
    assert "2 of 3 places taken." in to_coach.text and not to_coach.attachments
    assert mine is not None and again is not None and mine.text == again.text
    assert "Wed 2 Dec 2026, 01:00 AEDT" in mine.text and "Ana Ruiz" in mine.text
    cal = calendar_of(mine)
    attendees = [str(a) for a in cal.events[0]["ATTENDEE"]]
    assert attendees == ["mailto:coach@example.com", "mailto:jo@example.com"]  # not Sam
    assert str(cal.events[0]["SUMMARY"]) == "Group session: Leading change with Ana Ruiz"


async def test_leaving_a_group_is_a_cancel_for_the_leaver_only(db: Database) -> None:
    ids, _ = await group(db)
    left_at = NOW + timedelta(hours=2)
    async with db.transaction() as s:
        booking, sam = await s.get(Booking, ids.booking), await s.get(Person, ids.leader)
        assert booking is not None and sam is not None
        await s.refresh(booking, ["seats"])
        booking.seats[0].status, booking.seats[0].cancelled_at = "cancelled", left_at
        booking.seats[0].updated_at = left_at
        booking.seats_taken = 0
        # The service may call it 'cancelled': the session itself goes on, so it is a leave.
        mine = await announce(db=s, booking=booking, event="cancelled", now=left_at, actor=sam)
    (row,) = await rows(db)
    assert row.person_id == ids.coach and ":left:" in (row.dedupe_key or "")
    assert "Sam Lee left your group session" in Message.from_payload(row.payload).text
    assert mine is not None and "You've left" in mine.text
    assert str(calendar_of(mine)["METHOD"]) == "CANCEL"


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


async def test_a_coach_moving_a_group_tells_each_leader_in_their_own_zone(db: Database) -> None:
    ids, jo_id = await group(db)
    async with db.transaction() as s:
        booking, coach = await s.get(Booking, ids.booking), await s.get(Person, ids.coach)
        assert booking is not None and coach is not None
        s.add(seat(booking, jo_id, None))
        booking.seats_taken = 2
        previous = Slot(booking.starts_at, booking.ends_at)
        booking.starts_at, booking.ends_at = START + HOUR, START + 2 * HOUR
        booking.sequence = 1
        mine = await announce(
            db=s,
            booking=booking,
            event="rescheduled",
            now=NOW,
            actor=coach,
            previous=previous,
        )
    texts = {r.person_id: Message.from_payload(r.payload).text for r in await rows(db)}
    assert set(texts) == {ids.leader, jo_id}
    assert "from Tue 1 Dec 2026, 09:00 EST to Tue 1 Dec 2026, 10:00 EST" in texts[ids.leader]
    assert "from Wed 2 Dec 2026, 01:00 AEDT to Wed 2 Dec 2026, 02:00 AEDT" in texts[jo_id]
    assert "Group session" not in texts[jo_id] and "“Leading change” with Ana Ruiz" in texts[jo_id]
    assert mine is not None and mine.title == "Group session moved"
    assert (
        "2 of 3 places taken." in mine.text
        and "14:00 GMT to Tue 1 Dec 2026, 15:00 GMT" in mine.text
    )
    attendees = [str(a) for a in calendar_of(mine).events[0]["ATTENDEE"]]
    assert attendees == [
        "mailto:coach@example.com",
        "mailto:leader@example.com",
        "mailto:jo@example.com",
    ]


async def test_a_new_group_session_is_confirmed_to_its_coach(db: Database) -> None:
    ids, _ = await group(db)
    async with db.transaction() as s:
        booking, coach = await s.get(Booking, ids.booking), await s.get(Person, ids.coach)
        assert booking is not None and coach is not None
        await s.refresh(booking, ["seats"])
        await s.delete(booking.seats[0])
        booking.seats_taken = 0
        await s.flush()
        mine = await announce(db=s, booking=booking, event="booked", now=NOW, actor=coach)
    assert await rows(db) == []
    assert mine is not None and mine.title == "Group session booked"
    assert mine.text == (
        "Your group session “Leading change” is set up for Tue 1 Dec 2026, 14:00 GMT "
        "(60 minutes). 0 of 3 places taken."
    )


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


async def _leave(db: Database, ids: Ids, leader_id: int, at: datetime) -> Message | None:
    async with db.transaction() as s:
        booking, who = await s.get(Booking, ids.booking), await s.get(Person, leader_id)
        assert booking is not None and who is not None
        live = await s.scalar(
            select(BookingSeat).where(
                BookingSeat.booking_id == booking.id,
                BookingSeat.leader_id == leader_id,
                BookingSeat.status == "confirmed",
            )
        )
        assert live is not None
        live.status, live.cancelled_at, live.updated_at = "cancelled", at, at
        booking.seats_taken -= 1
        return await announce(
            db=s, booking=booking, event="left", now=at, actor=who, seat_leader=who
        )


async def _join(db: Database, ids: Ids, leader_id: int, at: datetime) -> Message | None:
    async with db.transaction() as s:
        booking, who = await s.get(Booking, ids.booking), await s.get(Person, leader_id)
        assert booking is not None and who is not None
        new = seat(booking, leader_id, None)
        new.created_at = new.updated_at = at
        s.add(new)
        booking.seats_taken += 1
        return await announce(
            db=s, booking=booking, event="joined", now=at, actor=who, seat_leader=who
        )


def _sequence(message: Message | None) -> int:
    assert message is not None
    return int(calendar_of(message).events[0]["SEQUENCE"])


async def test_leaving_then_rejoining_a_group_always_sends_a_newer_invite(db: Database) -> None:
    ids, jo_id = await group(db)
    joined = await _join(db, ids, jo_id, NOW + HOUR)
    left = await _leave(db, ids, jo_id, NOW + 2 * HOUR)
    again = await _join(db, ids, jo_id, NOW + 3 * HOUR)
    left_again = await _leave(db, ids, jo_id, NOW + 4 * HOUR)
    assert left is not None and str(calendar_of(left)["METHOD"]) == "CANCEL"
    assert left.attachments[0].filename == "group-session-cancelled.ics"
    assert again is not None and again.attachments[0].filename == "group-session.ics"
    sequences = [_sequence(m) for m in (joined, left, again, left_again)]
    assert sequences == sorted(set(sequences)), sequences  # each strictly newer
    assert sequences[0] == 0 and sequences[1] == 1  # one above the booking's for the leave
    async with db.transaction() as s:  # Sam, who never left, still gets the booking's own
        booking = await s.get(Booking, ids.booking)
        assert booking is not None
        booking.join_url = "https://teams.example/join"
        await join_link_ready(db=s, booking=booking, now=NOW + 5 * HOUR)
    links = {r.person_id: r for r in await rows(db) if "joinlink" in (r.dedupe_key or "")}
    assert _sequence(Message.from_payload(links[ids.leader].payload)) == 0
    assert jo_id not in links  # Jo left: no link for her


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
