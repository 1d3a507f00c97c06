"""Teams end to end: help, booking, check-in, reflection and pause/resume through real cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from storage.db import Database
from storage.models import Booking, CheckIn, NudgeSettings, Reflection
from tests.factories import add_goal
from tests.handlers.teams.teams_env import (
    TeamsEnv,
    TeamsUser,
    cards_of,
    enrolled_world,
    teams_env,
)

LEVELS = {"-1": "I hand over one report", "0": "I hand over half the reports", "+1": "all"}
ANSWER = "I learned to let the team decide the sprint scope."


async def leader_of(env: TeamsEnv) -> TeamsUser:
    """The world's leader as a Teams user whose profile carries their roster email."""
    w = env.world or await enrolled_world(env)
    return env.user("leader", email=w.leader.email, name=w.leader.name)


async def rows(env: TeamsEnv, model: type[Any]) -> list[Any]:
    """All rows of a model, read (decrypted) through the app's database."""
    async with env.rt.database.reading() as s:
        return list(await s.scalars(select(model)))


async def test_help_is_answered_in_the_chat_with_a_card(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        leader = await leader_of(env)
        await env.say(leader, "help")
        [card] = env.texts(leader)
        assert "Hi Sam" in card and "book: book a session" in card
        [posted] = env.received(leader)
        assert posted["from"]["id"] == f"28:{env.settings.teams_app_id}"
        assert posted["recipient"]["id"] == leader.id
        assert env.authority.token_requests == 1


async def test_booking_through_to_a_confirmed_session(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        leader = await leader_of(env)
        assert env.world is not None
        coach = env.user("coach", email=env.world.coach.email, name=env.world.coach.name)
        await env.say(coach, "hello")  # the coach's chat with the bot is known from now on
        await env.say(leader, "book")
        await env.click(leader, "book.day")  # the first day offered
        await env.click(leader, "book.slot")  # its first time
        await env.click(leader, "book.confirm")

        [booking] = await rows(env, Booking)
        assert booking.status == "confirmed" and booking.starts_at > env.rt.clock.now()
        for user, other in ((leader, "Ana Ruiz"), (coach, "Sam Lee")):
            cards = env.texts(user)
            assert any("booked" in c.lower() and other in c for c in cards), cards
        assert env.fake.requests("create") == []


async def test_a_checkin_form_card_is_submitted_and_stored(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        leader = await leader_of(env)
        assert env.world is not None
        async with env.rt.database.transaction() as s:
            goal = add_goal(s, env.world, "Delegate more", LEVELS)
            await s.flush()
            goal_id = goal.id
        await env.say(leader, "checkin")
        await env.fill(leader, "checkin.save", {f"level_{goal_id}": "7", "share": "coach"})
        assert await rows(env, CheckIn) == []  # a value the card never offered: nothing saved
        problems, again = env.texts(leader)[-1], env.last_card_with(leader, form_id="checkin.save")
        assert "Delegate more" in str(again) and again is cards_of(env.received(leader))[-1]
        assert problems != env.texts(leader)[0]  # the form again, with what was wrong
        answers = {f"level_{goal_id}": "1", f"confidence_{goal_id}": "4", "note": "Good week"}
        await env.fill(leader, "checkin.save", answers | {"share": "coach"})
        [row] = await rows(env, CheckIn)
        assert (row.goal_id, row.level, row.confidence) == (goal_id, 1, 4)
        assert row.note == "Good week" and row.shared_with_coach is True
        assert "saved" in env.texts(leader)[-1]


@pytest.mark.parametrize("share", ["private", "coach"])
async def test_a_reflection_form_card_is_stored_encrypted(
    db: Database, tmp_path: Path, share: str
) -> None:
    async with teams_env(db, tmp_path) as env:
        leader = await leader_of(env)
        await env.say(leader, "reflect")
        await env.fill(leader, "reflect.answer", {"answer": "   ", "share": share})
        assert await rows(env, Reflection) == []
        before = len(env.received(leader))
        assert env.last_card_with(leader, form_id="reflect.answer")  # the form card again
        await env.fill(leader, "reflect.answer", {"answer": ANSWER, "share": share})
        saved = env.texts(leader)[before]
        expected = "marked to share" if share == "coach" else "private to you"
        assert saved.startswith("Saved") and expected in saved
        [row] = await rows(env, Reflection)
        assert row.answer == ANSWER and row.shared_with_coach is (share == "coach")
        async with env.rt.database.reading() as s:
            stored = await s.scalar(text("SELECT answer FROM reflections"))
        assert ANSWER not in str(stored)


async def test_pause_and_resume(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        leader = await leader_of(env)
        await env.say(leader, "pause")
        [settings] = await rows(env, NudgeSettings)
        assert settings.paused_indefinitely
        assert "paused" in env.texts(leader)[-1]
        await env.say(leader, "resume")
        [settings] = await rows(env, NudgeSettings)
        assert not settings.paused_indefinitely and settings.paused_until is None
        assert len(env.received(leader)) == 2
