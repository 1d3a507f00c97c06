"""Group-session announcements: who joined or left, moves to every leader, sequences."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.booking.model import Slot
from bot.booking.notices import announce, join_link_ready
from bot.ui import Message, literal, plain
from storage.db import Database
from storage.models import (
    Booking,
    BookingSeat,
    Engagement,
    Person,
)
from tests.bot.booking.notice_world import (
    HOUR,
    NOW,
    START,
    Ids,
    calendar_of,
    rows,
    seat,
    seed,
)


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
    assert "Jo Park joined your group session “Leading change”" in plain(to_coach.text)
    assert literal("Leading change") in to_coach.text  # the coach's own words, never formatted
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
    texts = {r.person_id: plain(Message.from_payload(r.payload).text) for r in await rows(db)}
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
    assert plain(mine.text) == (
        "Your group session “Leading change” is set up for Tue 1 Dec 2026, 14:00 GMT "
        "(60 minutes). 0 of 3 places taken."
    )


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
