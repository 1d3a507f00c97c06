"""The home page's sections: a leader's, a coach's, and a person without an engagement."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event, select

import bot.flows  # noqa: F401  (registers the routes the buttons name)
from bot.flows.home import home_sections
from bot.nudges.schedule import wall_instant
from bot.routes import COMMAND_ACTION, ROUTES
from bot.ui import Message, literal
from storage.db import Database
from storage.models import (
    Booking,
    BookingSeat,
    CheckIn,
    Engagement,
    NudgeSettings,
    Person,
    Reflection,
)
from tests.factories import T0, World, add_booking, add_goal, add_person, make_world

LEVELS = {"-1": "I hand over one report", "0": "I hand over *half* the reports", "+1": "all"}
PRIVATE_NOTE = "PRIVATE check-in note about my manager"
PRIVATE_ANSWER = "PRIVATE reflection I keep to myself"
LEADER, COACH = "leader@example.com", "coach@example.com"


async def home(db: Database, email: str, now: datetime = T0) -> list[Message]:
    """The home sections of the person with this email, read in a read-only scope."""
    async with db.reading() as s:
        person = await s.scalar(select(Person).where(Person.email == email))
        assert person is not None
        return await home_sections(db=s, person=person, now=now)


def everything(messages: list[Message]) -> str:
    """Every word of the messages (payloads as JSON), to look for what must never appear."""
    return json.dumps([m.to_payload() for m in messages], ensure_ascii=False)


def facts(message: Message) -> dict[str, str]:
    return {f.label: f.value for f in message.facts}


def buttons(message: Message) -> list[tuple[str, str, str]]:
    return [(b.label, b.action_id, b.value) for b in message.buttons]


def reflection(w: World, answer: str, at: datetime, *, shared: bool) -> Reflection:
    return Reflection(
        leader_id=w.leader.id,
        engagement_id=w.engagement.id,
        prompt_id="act-01",
        answer=answer,
        shared_with_coach=shared,
        answered_at=at,
        created_at=at,
    )


def checkin(
    w: World, goal_id: int, period: str, level: int, *, shared: bool, note: str | None = None
) -> CheckIn:
    at = datetime.fromisoformat(f"{period}-1T15:00+00:00")  # the week's Monday, 15:00 UTC
    row = CheckIn(goal_id=goal_id, leader_id=w.leader.id, period=period, level=level, note=note)
    row.t_score, row.shared_with_coach, row.answered_at, row.created_at = 50.0, shared, at, at
    return row


async def leader_world(db: Database) -> World:
    """Sessions, two active goals and a dropped one, check-ins, reflections, paused nudges."""
    async with db.transaction() as s:
        w = await make_world(s)
        for i in range(4):
            add_booking(s, w, T0 + timedelta(days=7 * i + 1, hours=4), uid=f"uid-{i}")
        g1 = add_goal(s, w, "Delegate *the* <reporting>", LEVELS)
        g2 = add_goal(s, w, "Speak up in board meetings", LEVELS)
        dropped = add_goal(s, w, "An old dropped goal", LEVELS)
        dropped.status = "dropped"
        await s.flush()
        s.add_all(
            [
                checkin(w, g1.id, "2026-W46", -1, shared=False, note=PRIVATE_NOTE),
                checkin(w, g2.id, "2026-W46", -1, shared=False, note=PRIVATE_NOTE),
                checkin(w, g1.id, "2026-W47", 0, shared=True, note="Handed over *two* reports"),
                checkin(w, g2.id, "2026-W47", -1, shared=True, note="Handed over *two* reports"),
                reflection(w, "I noticed I *rush* decisions", T0 - timedelta(days=3), shared=True),
                reflection(w, PRIVATE_ANSWER, T0 - timedelta(days=1), shared=False),
                NudgeSettings(
                    person_id=w.leader.id,
                    paused_indefinitely=True,
                    share_default="coach",
                    updated_at=T0,
                ),
            ]
        )
    return w


async def test_a_leaders_home_has_sessions_goals_nudges_and_what_is_shared(db: Database) -> None:
    await leader_world(db)
    page = await home(db, LEADER)
    assert [m.title for m in page] == [
        "Your sessions",
        "Your goals",
        "Your nudges",
        "Shared with your coach",
    ]
    sessions, goals, nudges, shared = page
    lines = sessions.text.splitlines()
    assert len(lines) == 3  # the next three of four
    assert lines[0].startswith("• *Wed 25 Nov 2026, 09:00 EST*")
    assert "Coaching session with Ana Ruiz (60 min)" in lines[0]
    assert facts(sessions) == {"Your coach": "Ana Ruiz", "Sessions": "4 of 6 used, 2 left"}
    async with db.reading() as s:
        first = await s.scalar(select(Booking.id).where(Booking.ics_uid == "uid-0"))
    assert buttons(sessions) == [
        ("Move next session", "session.move", str(first)),
        ("Cancel next session", "session.cancel", str(first)),
        ("Book a session", COMMAND_ACTION, "book"),
        ("My sessions", COMMAND_ACTION, "sessions"),
    ]
    assert sessions.footer == "Times are shown in your time zone, America/New_York."

    assert f"• {literal('Delegate *the* <reporting>')}\n" in goals.text
    assert f"Now (Mon 16 Nov): *0*  {literal('I hand over *half* the reports')}" in goals.text
    assert "Recent weeks: Mon 9 Nov: −1 → Mon 16 Nov: 0" in goals.text
    assert f"Now (Mon 16 Nov): *−1*  {literal('I hand over one report')}" in goals.text
    assert "An old dropped goal" not in goals.text
    assert buttons(goals) == [
        ("Check in", COMMAND_ACTION, "checkin"),
        ("My goals", "command", "goals"),
    ]

    assert facts(nudges) == {
        "Reflection": "every Friday at 16:00",
        "Goal check-in": "every Monday at 09:00",
        "Messages 20:00–08:00": "not sent (quiet hours)",
        "Sharing default": "shared with my coach",
        "Status": "paused until you resume",
    }
    assert buttons(nudges) == [
        ("Change", COMMAND_ACTION, "nudges"),
        ("Resume nudges", COMMAND_ACTION, "resume"),
    ]

    shared_lines = shared.text.splitlines()
    assert shared_lines[1].startswith("• Sat 21 Nov · Reflection: Which real problem at work")
    assert shared_lines[1].endswith(f"· “{literal('I noticed I *rush* decisions')}”")
    goals_named = (
        f"{literal('Delegate *the* <reporting>')}, {literal('Speak up in board meetings')}"
    )
    note = literal("Handed over *two* reports")
    assert shared_lines[2] == f"• Week of Mon 16 Nov · Check-in on {goals_named} · “{note}”"
    assert len(shared_lines) == 3
    assert "Nothing else you write is shared" in shared.footer
    assert PRIVATE_ANSWER not in everything(page)
    assert PRIVATE_NOTE not in everything(page)


async def test_every_button_runs_an_existing_command_or_action(db: Database) -> None:
    await leader_world(db)
    for email in (LEADER, COACH):
        for message in await home(db, email):
            for b in message.buttons:
                if b.action_id == COMMAND_ACTION:
                    assert b.value in ROUTES.commands, b
                else:
                    assert b.action_id in ROUTES.actions, b


async def test_shared_shows_the_five_latest_then_how_many_more(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        for i in range(7):
            text = f"answer {i} " + "x" * 300
            s.add(reflection(w, text, T0 - timedelta(days=i + 1), shared=True))
        s.add(reflection(w, PRIVATE_ANSWER, T0 - timedelta(hours=1), shared=False))
        goal = add_goal(s, w, "Coach the team", LEVELS)
        await s.flush()
        s.add(checkin(w, goal.id, "2026-W48", 0, shared=True))  # Mon 23 Nov 15:00 UTC, no note
    *_, shared = await home(db, LEADER)
    lines = shared.text.splitlines()
    assert [line.split(" · ")[0] for line in lines[1:6]] == [
        "• Week of Mon 23 Nov",
        "• Mon 23 Nov",
        "• Sun 22 Nov",
        "• Sat 21 Nov",
        "• Fri 20 Nov",
    ]
    assert lines[1] == f"• Week of Mon 23 Nov · Check-in on {literal('Coach the team')}"
    assert lines[6] == "and 3 more"  # two reflections and the private one is not counted
    first = ("answer 0 " + "x" * 300)[:120]
    assert lines[2].endswith(f"“{literal(first)}…”")
    assert PRIVATE_ANSWER not in shared.text


async def test_a_new_leader_sees_how_to_start(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    sessions, goals, nudges, shared = await home(db, LEADER)
    assert sessions.text == "No sessions booked."
    assert buttons(sessions) == [("Book a session", COMMAND_ACTION, "book")]
    assert sessions.buttons[0].style == "primary"
    assert "no active goals" in goals.text
    assert buttons(goals) == [("Add a goal", "goals.add", "")]
    assert facts(nudges)["Status"] == "on"
    assert facts(nudges)["Sharing default"] == "not chosen yet (private until you choose)"
    assert buttons(nudges) == [("Change", COMMAND_ACTION, "nudges")]
    assert shared.text.startswith("Nothing is marked to share with your coach.")


async def test_times_are_local_across_the_dst_change(db: Database) -> None:
    now = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)  # Wed; New York leaves DST on Sun 1 Nov
    async with db.transaction() as s:
        w = await make_world(s, now)
        add_booking(s, w, datetime(2026, 10, 30, 14, 0, tzinfo=UTC), uid="before")
        add_booking(s, w, datetime(2026, 11, 3, 15, 0, tzinfo=UTC), uid="after")
        # Mon 2 Nov 03:30 UTC is still Sun 1 Nov (22:30 EST) for the leader.
        s.add(reflection(w, "late thought", datetime(2026, 11, 2, 3, 30, tzinfo=UTC), shared=True))
        until = wall_instant(date(2026, 11, 4), time(0), "America/New_York")
        s.add(NudgeSettings(person_id=w.leader.id, paused_until=until, updated_at=now))
    sessions, _, nudges, shared = await home(db, LEADER, now)
    lines = sessions.text.splitlines()
    assert lines[0].startswith("• *Fri 30 Oct 2026, 10:00 EDT*")
    assert lines[1].startswith("• *Tue 3 Nov 2026, 10:00 EST*")
    assert facts(nudges)["Status"] == "paused; they start again on Wed 4 Nov"
    assert ("Resume nudges", COMMAND_ACTION, "resume") in buttons(nudges)
    assert shared.text.splitlines()[1].startswith("• Sun 1 Nov · Reflection")
    [coach_page] = await home(db, COACH, now)
    assert coach_page.text.splitlines()[0].startswith("• *Fri 30 Oct 2026, 15:00 CET*")


async def test_a_coachs_home_lists_the_next_five_sessions_and_clients(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        for i in range(6):
            add_booking(s, w, T0 + timedelta(days=i + 1), uid=f"uid-{i}")
        kim = await add_person(s, w, email="k@x.io", name="Kim Park", role="leader", timezone="UTC")
        old = await add_person(
            s, w, email="o@x.io", name="Old Client", role="leader", timezone="UTC"
        )
        for leader, status in ((kim, "active"), (old, "completed")):
            e = Engagement(leader_id=leader.id, coach_id=w.coach.id, programme_id=w.programme.id)
            e.status, e.started_on, e.created_at = status, date(2026, 11, 2), T0
            s.add(e)
        group = add_booking(s, w, T0 + timedelta(hours=2), uid="group-1")
        group.kind, group.leader_id, group.engagement_id = "group", None, None
        group.title, group.capacity, group.seats_taken = "Feedback lab", 4, 2
        seat = BookingSeat(leader_id=kim.id, created_at=T0, updated_at=T0)
        seat.starts_at, seat.ends_at = group.starts_at, group.ends_at
        group.seats.append(seat)
    [page] = await home(db, COACH)
    lines = page.text.splitlines()
    assert len(lines) == 5
    assert "Group session" in lines[0] and "with Sam Lee, Kim Park" in lines[0]
    assert lines[0].startswith("• *Tue 24 Nov 2026, 13:00 CET*")
    assert "Coaching session with Sam Lee" in lines[1]
    assert facts(page) == {"Active clients": "2"}
    assert [b.value for b in page.buttons] == ["sessions", "away", "group"]
    assert page.footer == "Times are shown in your time zone, Europe/Madrid."


async def test_someone_without_an_engagement_gets_a_welcome(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        await add_person(
            s, w, email="new@example.com", name="Noor Ali", role="leader", timezone="Asia/Dubai"
        )
        await add_person(s, w, email="admin@example.com", name="Ada", role="admin", timezone="UTC")
        w.engagement.status = "completed"
    for email, name in (("new@example.com", "Noor"), ("admin@example.com", "Ada"), (LEADER, "Sam")):
        [page] = await home(db, email)
        assert page.text.startswith(f"Hi {name}.")
        assert buttons(page) == [("Help", COMMAND_ACTION, "help")]


async def test_the_page_takes_a_handful_of_queries(db: Database) -> None:
    await leader_world(db)
    selects: list[str] = []

    def note(*args: Any) -> None:
        selects.extend([args[2]] if args[2].lstrip().upper().startswith("SELECT") else [])

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        await home(db, LEADER)
        assert len(selects) <= 10, selects  # one of them looks the person up
        selects.clear()
        await home(db, COACH)
        assert len(selects) <= 5, selects
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)
