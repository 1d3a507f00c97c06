"""Core flows through bot.conversation: help, greetings, unknown input, sessions, privacy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.conversation import respond
from bot.dispatcher import Dispatcher
from bot.interaction import Interaction
from bot.ports import Delivery, SendResult, Sent
from bot.ui import Message
from storage.db import Database
from storage.models import OutboxMessage
from tests.factories import T0, add_booking, make_world


async def say(db: Database, who_email: str, text: str, **kw: object) -> list[Message]:
    """Send text as a person through the router; return the replies it queued."""
    async with db.transaction() as s:
        from storage.models import Person

        who = await s.scalar(select(Person).where(Person.email == who_email))
        assert who is not None
        kind = kw.pop("kind", "text")
        replies = await respond(
            db=s,
            interaction=Interaction(who=who, channel="web", kind=kind, now=T0, text=text, **kw),  # type: ignore[arg-type]
        )
    return replies


async def test_help_lists_commands_and_buttons(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    [reply] = await say(db, "leader@example.com", "help")
    assert "Ana Ruiz" in reply.text
    assert {f.label for f in reply.facts} >= {"book", "sessions", "privacy", "help"}
    assert any(b.value == "sessions" for b in reply.buttons)
    async with db.reading() as s:
        rows = (await s.scalars(select(OutboxMessage))).all()
    assert len(rows) == 1 and rows[0].channel == "web" and rows[0].status == "pending"
    assert Message.from_payload(rows[0].payload) == reply


async def test_unknown_word_gets_menu(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    [reply] = await say(db, "leader@example.com", "frobnicate")
    assert "frobnicate" in reply.text and reply.buttons


async def test_sessions_shown_in_viewer_zone(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        add_booking(s, w, T0 + timedelta(days=2), uid="uid-1")
    header, leader_view = await say(db, "leader@example.com", "sessions")
    assert header.text == "Times are shown in your time zone, America/New_York."
    assert leader_view.text.startswith("*Thu 26 Nov 2026, 05:00 EST* · Coaching session")
    assert "Ana Ruiz" in leader_view.text
    assert [b.label for b in leader_view.buttons] == ["Move", "Cancel"]
    _header, coach_view = await say(db, "coach@example.com", "sessions")
    assert coach_view.text.startswith("*Thu 26 Nov 2026, 11:00 CET*")
    assert "Sam Lee" in coach_view.text
    assert [b.label for b in coach_view.buttons] == ["Cancel"]


class RecordingPort:
    """A chat port that records what it is asked to deliver."""

    channel = "web"

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []

    async def send(self, delivery: Delivery) -> SendResult:
        self.deliveries.append(delivery)
        return Sent(ref=f"rec:{delivery.outbox_id}")


async def test_button_round_trip_reaches_the_person_through_the_port(db: Database) -> None:
    port = RecordingPort()
    dispatcher = Dispatcher(database=db, senders={"web": port}, clock=lambda: T0)
    async with db.transaction() as s:
        await make_world(s)
    [menu] = await say(db, "leader@example.com", "hello")
    await dispatcher.wake()
    button = next(b for b in menu.buttons if b.value == "privacy")
    [answer, coach_sees] = await say(
        db, "leader@example.com", "", kind="action", action_id=button.action_id, value=button.value
    )
    await dispatcher.wake()
    assert [d.message for d in port.deliveries] == [menu, answer, coach_sees]
    assert coach_sees.title == "What Ana Ruiz sees"
    assert {d.recipient.timezone for d in port.deliveries} == {"America/New_York"}
    assert "encrypted" in answer.text and answer.facts[-1].value == "Ana Ruiz"


async def test_expired_button_and_form_change_nothing(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    [a] = await say(db, "leader@example.com", "", kind="action", action_id="gone", value="x")
    [f] = await say(db, "leader@example.com", "", kind="submit", form_id="old-form")
    assert "expired" in a.text and "nothing was saved" in f.text


async def test_coach_help_is_for_coaches(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    [reply] = await say(db, "coach@example.com", "/coach help")
    assert reply.title.endswith("for coaches")
    assert {b.value for b in reply.buttons} == {"sessions", "away", "group", "privacy", "help"}
    assert "only what your own clients choose to share" in reply.footer
    [privacy] = await say(db, "coach@example.com", "privacy")
    assert "only your own clients" in privacy.text
    assert [f.value for f in privacy.facts] == ["1", "0"]
    [book] = await say(db, "coach@example.com", "book")
    assert "Leaders book sessions with you" in book.text


async def test_leader_help_marks_what_is_not_available_yet(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        w.engagement.coach_id = None
    [reply] = await say(db, "leader@example.com", "help")
    assert "type `book` to see the coaches who fit you best" in reply.text
    facts = {f.label: f.value for f in reply.facts}
    assert not facts["goals"].endswith("(not available yet)")  # issue 4 built goals/checkin
    assert not facts["book"].endswith("(not available yet)")
    assert not facts["sessions"].endswith("(not available yet)")
    assert {"book", "goals", "checkin"} <= {b.value for b in reply.buttons}
    [answer] = await say(db, "leader@example.com", "checkin")
    assert answer.text.startswith("You have no active goals to check in on.")


async def test_greetings_and_unknown_input_are_answered_safely(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    [hi] = await say(db, "coach@example.com", "Hi there!")
    assert hi.text.startswith("Hello Ana!")
    [odd] = await say(db, "coach@example.com", "*rm* `x` <b>\x00 what")
    assert odd.text.startswith('I didn\'t recognise "rm x b what"')
    [blank] = await say(db, "leader@example.com", "   ")
    assert "any words" in blank.text
    [long] = await say(db, "coach@example.com", "z" * 500)
    assert "z" * 39 + "…" in long.text and "z" * 41 not in long.text
