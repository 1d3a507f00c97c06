"""The booking conversation through bot.conversation: matching, book, move, cancel, groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.conversation import respond
from bot.interaction import Interaction
from bot.ui import Message
from storage.db import Database
from storage.models import (
    Booking,
    BookingSeat,
    CoachBusy,
    CoachProfile,
    Engagement,
    OutboxMessage,
    Person,
)
from tests.factories import T0, add_person, make_world

LEADER, COACH = "leader@example.com", "coach@example.com"
# Ana (Europe/Madrid) coaches Tuesdays 09:00-12:00: Tue 1 Dec is 08:00-11:00 UTC.
DEC_1_0900_MADRID = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def turn(
    db: Database, email: str, *, now: datetime = T0, text: str = "", **kw: str
) -> list[Message]:
    """One interaction as a person: text, or an action / form when action_id / form_id given."""
    async with db.transaction() as s:
        who = await s.scalar(select(Person).where(Person.email == email))
        assert who is not None
        kind = "action" if "action_id" in kw else "submit" if "form_id" in kw else "text"
        form = {k.removeprefix("f_"): v for k, v in kw.items() if k.startswith("f_")}
        rest = {k: v for k, v in kw.items() if not k.startswith("f_")}
        interaction = Interaction(
            who=who,
            channel="web",
            kind=kind,
            now=now,
            text=text,
            form=form,
            **rest,  # type: ignore[arg-type]
        )
        return await respond(db=s, interaction=interaction)


def button(message: Message, label: str) -> dict[str, str]:
    """The action of the button with this label, ready to pass to `turn`."""
    for b in message.buttons:
        if b.label == label:
            return {"action_id": b.action_id, "value": b.value}
    raise AssertionError(f"no button {label!r} in {[b.label for b in message.buttons]}")


def option(message: Message, label: str) -> dict[str, str]:
    """The action of a choice option with this label."""
    assert message.choices is not None, message
    for o in message.choices.options:
        if o.label == label:
            return {"action_id": message.choices.action_id, "value": o.value}
    raise AssertionError(f"no option {label!r} in {[o.label for o in message.choices.options]}")


async def count(db: Database, model: type) -> int:
    async with db.reading() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def book_first_slot(db: Database) -> Message:
    """Book Tue 1 Dec 03:00 EST (09:00 Madrid) through the conversation; the confirmation."""
    [days] = await turn(db, LEADER, text="book")
    [times] = await turn(db, LEADER, **option(days, "Tue 1 Dec (5 times)"))
    [confirm] = await turn(db, LEADER, **button(times, "03:00–04:00 EST"))
    [done] = await turn(db, LEADER, **button(confirm, "Confirm"))
    return done


async def test_book_a_day_a_time_and_confirm(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
    [days] = await turn(db, LEADER, text="book")
    assert days.choices is not None
    assert [o.label for o in days.choices.options][:2] == [
        "Tue 1 Dec (5 times)",
        "Tue 8 Dec (5 times)",
    ]
    [times] = await turn(db, LEADER, **option(days, "Tue 1 Dec (5 times)"))
    labels = [b.label for b in times.buttons]
    assert labels == [
        "03:00–04:00 EST",
        "03:30–04:30 EST",
        "04:00–05:00 EST",
        "04:30–05:30 EST",
        "More times",
        "Other days",
    ]
    [more] = await turn(db, LEADER, **button(times, "More times"))
    assert [b.label for b in more.buttons] == ["05:00–06:00 EST", "Other days"]
    [confirm] = await turn(db, LEADER, **button(times, "03:00–04:00 EST"))
    facts = {f.label: f.value for f in confirm.facts}
    assert facts["When"] == "Tue 1 Dec 2026, 03:00 EST"
    assert facts["Ana's time"] == "Tue 1 Dec 2026, 09:00 CET"
    assert facts["Sessions left after this"] == "5 of 6"
    assert await count(db, Booking) == 0  # nothing is booked before confirming
    [done] = await turn(db, LEADER, **button(confirm, "Confirm"))
    assert done.attachments and "BEGIN:VCALENDAR" in done.attachments[0].content
    async with db.reading() as s:
        booking = await s.scalar(select(Booking))
        assert booking is not None and booking.starts_at == DEC_1_0900_MADRID
        coach_rows = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == w.coach.id))
        ).all()
    assert coach_rows, "the coach is told"


async def test_a_lost_race_says_taken_and_offers_fresh_times(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        other = await add_person(
            s,
            w,
            email="other@example.com",
            name="Kim Park",
            role="leader",
            timezone="Europe/London",
        )
        s.add(
            Engagement(
                leader_id=other.id,
                coach_id=w.coach.id,
                programme_id=w.programme.id,
                started_on=T0.date(),
                created_at=T0,
            )
        )
    [days] = await turn(db, LEADER, text="book")
    [times] = await turn(db, LEADER, **option(days, "Tue 1 Dec (5 times)"))
    [confirm] = await turn(db, LEADER, **button(times, "03:00–04:00 EST"))
    # Kim books 09:30 Madrid meanwhile, overlapping Sam's 09:00 choice.
    [kim_days] = await turn(db, "other@example.com", text="book")
    [kim_times] = await turn(db, "other@example.com", **option(kim_days, "Tue 1 Dec (5 times)"))
    [kim_confirm] = await turn(db, "other@example.com", **button(kim_times, "08:30–09:30 GMT"))
    await turn(db, "other@example.com", **button(kim_confirm, "Confirm"))
    before = await count(db, Booking)
    [fresh] = await turn(db, LEADER, **button(confirm, "Confirm"))
    assert fresh.text.startswith("That slot was just taken")
    assert "05:00–06:00 EST" in [b.label for b in fresh.buttons]
    assert "03:00–04:00 EST" not in [b.label for b in fresh.buttons]
    assert await count(db, Booking) == before


async def test_sessions_move_and_cancel(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    await book_first_slot(db)
    _header, row = await turn(db, LEADER, text="sessions")
    assert "Tue 1 Dec 2026, 03:00 EST" in row.text and "Ana Ruiz" in row.text
    [days] = await turn(db, LEADER, **button(row, "Move"))
    [times] = await turn(db, LEADER, **option(days, "Tue 1 Dec (5 times)"))
    [confirm] = await turn(db, LEADER, **button(times, "04:00–05:00 EST"))
    assert "Move your session from Tue 1 Dec 2026, 03:00 EST" in confirm.text
    [_moved] = await turn(db, LEADER, **button(confirm, "Confirm"))
    async with db.reading() as s:
        booking = await s.scalar(select(Booking))
        assert booking is not None and booking.sequence == 1
        assert booking.starts_at == DEC_1_0900_MADRID + timedelta(hours=1)
    _header, row = await turn(db, LEADER, text="sessions")
    [ask] = await turn(db, LEADER, **button(row, "Cancel"))
    assert "counts as one of your sessions" not in ask.text  # a week ahead: not late
    await turn(db, LEADER, **button(ask, "Yes, cancel"))
    [none] = await turn(db, LEADER, text="sessions")
    assert none.text == "You have no upcoming sessions."


async def test_a_late_cancel_is_announced_before_confirming_and_moving_is_refused(
    db: Database,
) -> None:
    async with db.transaction() as s:
        await make_world(s)
    await book_first_slot(db)
    late = DEC_1_0900_MADRID - timedelta(hours=5)
    _header, row = await turn(db, LEADER, text="sessions", now=late)
    assert [b.label for b in row.buttons] == ["Cancel"]
    [refused] = await turn(
        db, LEADER, now=late, action_id="session.move", value=row.buttons[0].value
    )
    assert "can't be moved" in refused.text
    [ask] = await turn(db, LEADER, now=late, **button(row, "Cancel"))
    assert "counts as one of your sessions" in ask.text
    await turn(db, LEADER, now=late, **button(ask, "Yes, cancel"))
    async with db.reading() as s:
        seat = await s.scalar(select(BookingSeat))
        assert seat is not None and seat.status == "late_cancelled"


async def test_a_leader_without_a_coach_chooses_one_from_three(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        engagement = await s.get(Engagement, w.engagement.id)
        assert engagement is not None
        engagement.coach_id = None
    intro, *cards = await turn(db, LEADER, text="book")
    assert "three who fit you best" in intro.text
    assert cards and cards[0].title == "Ana Ruiz" and "•" in cards[0].text
    [ask] = await turn(db, LEADER, **button(cards[0], "Choose Ana"))
    [days] = await turn(db, LEADER, **button(ask, "Yes, Ana Ruiz"))
    assert days.text.startswith("Ana Ruiz is now your coach.")
    async with db.reading() as s:
        engagement = await s.get(Engagement, w.engagement.id)
        assert engagement is not None and engagement.coach_id == w.coach.id


async def test_away_blocks_time_and_bad_input_changes_nothing(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    [bad] = await turn(db, COACH, text="away next week")
    assert "Nothing was changed" in bad.text
    [bad_date] = await turn(db, COACH, text="away 2026-02-30")
    assert "Nothing was changed" in bad_date.text
    assert await count(db, CoachBusy) == 0
    [done] = await turn(db, COACH, text="away 2026-12-01")
    assert "Tue 1 Dec 2026, 00:00 CET" in done.text
    [days] = await turn(db, LEADER, text="book")
    assert days.choices is not None
    assert days.choices.options[0].label == "Tue 8 Dec (5 times)"
    [_listing, block] = await turn(db, COACH, text="away")
    await turn(db, COACH, **button(block, "Remove"))
    assert await count(db, CoachBusy) == 0


async def test_a_coach_offers_a_group_session_and_a_leader_joins(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
    [form_message] = await turn(db, COACH, text="group")
    assert form_message.form is not None
    [bad] = await turn(
        db,
        COACH,
        form_id="group.create",
        f_programme=str(w.programme.id),
        f_title="",
        f_date="2026-12-03",
        f_time="15:00",
        f_minutes="90",
        f_capacity="8",
    )
    assert "Title" in bad.text and await count(db, Booking) == 0
    [made] = await turn(
        db,
        COACH,
        form_id="group.create",
        f_programme=str(w.programme.id),
        f_title="Leading through change",
        f_date="2026-12-03",
        f_time="15:00",
        f_minutes="90",
        f_capacity="8",
    )
    assert "Thu 3 Dec 2026, 15:00 CET" in made.text
    [invite] = made.attachments  # the coach's own calendar invite
    assert invite.filename == "group-session.ics" and "TZID=Europe/Madrid" in invite.content
    _days, groups = await turn(db, LEADER, text="book")
    [offer] = await turn(db, LEADER, **button(groups, "See group sessions"))
    assert "Leading through change" in offer.text
    [joined] = await turn(db, LEADER, **button(offer, "Join"))
    async with db.reading() as s:
        group = await s.scalar(select(Booking).where(Booking.kind == "group"))
        assert group is not None and group.seats_taken == 1
    assert "Thu 3 Dec 2026, 09:00 EST" in joined.text or joined.title


async def test_stale_confirm_in_the_past_and_no_sessions_left_change_nothing(
    db: Database,
) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
    [days] = await turn(db, LEADER, text="book")
    [times] = await turn(db, LEADER, **option(days, "Tue 1 Dec (5 times)"))
    [confirm] = await turn(db, LEADER, **button(times, "03:00–04:00 EST"))
    later = DEC_1_0900_MADRID + timedelta(minutes=5)
    [late] = await turn(db, LEADER, now=later, **button(confirm, "Confirm"))
    assert late.text.startswith("That time has already passed")
    assert await count(db, Booking) == 0
    async with db.transaction() as s:
        programme = await s.get(type(w.programme), w.programme.id)
        assert programme is not None
        programme.sessions_per_leader = 1
    await book_first_slot(db)
    [used_up] = await turn(db, LEADER, text="book")
    assert used_up.text.startswith("You've used every session of your programme (1 in all)")
    [again] = await turn(db, LEADER, **button(confirm, "Confirm"))
    assert "used every session" in again.text
    assert await count(db, Booking) == 1


async def test_someone_elses_booking_is_refused_before_its_time_is_shown(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        await add_person(
            s,
            w,
            email="other@example.com",
            name="Kim Park",
            role="leader",
            timezone="Europe/London",
        )
    await book_first_slot(db)
    async with db.reading() as s:
        booking = await s.scalar(select(Booking))
        assert booking is not None
    [refused] = await turn(
        db, "other@example.com", action_id="session.cancel", value=str(booking.id)
    )
    assert "isn't yours" in refused.text and "Dec" not in refused.text


async def test_moving_to_the_same_time_changes_nothing(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    await book_first_slot(db)
    _header, row = await turn(db, LEADER, text="sessions")
    [days] = await turn(db, LEADER, **button(row, "Move"))
    [times] = await turn(db, LEADER, **option(days, "Tue 1 Dec (5 times)"))
    [confirm] = await turn(db, LEADER, **button(times, "03:00–04:00 EST"))
    [same] = await turn(db, LEADER, **button(confirm, "Confirm"))
    assert same.text.startswith("Your session is already at Tue 1 Dec 2026, 03:00 EST")
    async with db.reading() as s:
        booking = await s.scalar(select(Booking))
        assert booking is not None and booking.sequence == 0


async def test_a_rematch_tells_the_leader_their_old_sessions_are_cancelled(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        new = await add_person(
            s, w, email="new@example.com", name="Bo Chen", role="coach", timezone="America/New_York"
        )
        s.add(
            CoachProfile(
                person_id=new.id,
                accreditation_body="ICF",
                accreditation_level="MCC",
                modalities=["leadership"],
                languages=["en"],
            )
        )
    await book_first_slot(db)
    intro, card = await turn(db, LEADER, text="rematch")
    assert "your upcoming session with Ana Ruiz is cancelled" in intro.text
    assert card.title == "Bo Chen"
    [chemistry_days] = await turn(db, LEADER, action_id="match.chemistry", value=str(w.coach.id))
    assert "Ana Ruiz is already your coach" in chemistry_days.text
    [ask] = await turn(db, LEADER, **button(card, "Choose Bo"))
    [_days] = await turn(db, LEADER, **button(ask, "Yes, Bo Chen"))
    async with db.reading() as s:
        rows = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == w.leader.id))
        ).all()
    cancels = [
        m
        for m in (Message.from_payload(r.payload) for r in rows)
        if any("METHOD:CANCEL" in a.content for a in m.attachments)
    ]
    assert len(cancels) == 1


async def test_a_hand_made_time_outside_availability_gets_fresh_times_not_a_confirm(
    db: Database,
) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
    value = f"session|{w.coach.id}||20261201T1700Z"  # 18:00 Madrid: outside 09:00-12:00
    [fresh] = await turn(db, LEADER, action_id="book.slot", value=value)
    assert fresh.text.startswith("That time isn't open any more")
    assert "03:00–04:00 EST" in [b.label for b in fresh.buttons]
    assert not any(b.action_id == "book.confirm" for b in fresh.buttons)


async def test_a_hand_made_button_for_another_coach_is_refused_at_the_first_step(
    db: Database,
) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        other = await add_person(
            s, w, email="bo@example.com", name="Bo Chen", role="coach", timezone="America/New_York"
        )
    [refused] = await turn(
        db, LEADER, action_id="book.day", value=f"session|{other.id}||2026-12-01|0"
    )
    assert refused.text.startswith("Bo Chen isn't your coach") and refused.choices is None
    [own] = await turn(db, LEADER, action_id="book.days", value=f"chemistry|{w.coach.id}||0")
    assert "already your coach" in own.text
