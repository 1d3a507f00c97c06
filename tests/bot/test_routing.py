"""A leader's own words through the router: risk first, commands and logistics, else the coach."""

from __future__ import annotations

import pytest

from bot.ui import Message
from storage.db import Database
from tests.bot.test_conversation import say
from tests.factories import make_world

LEADER, COACH = "leader@example.com", "coach@example.com"


async def world(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)


def words(replies: list[Message]) -> str:
    return " ".join(m.text for m in replies)


@pytest.mark.parametrize(
    "text",
    [
        "help I want to die",  # starts with a command word: risk still comes first
        "pause my reminders, I don't want to be here anymore",
        "I'm thinking about ending my life",
    ],
)
async def test_risk_comes_before_everything(db: Database, text: str) -> None:
    await world(db)
    replies = await say(db, LEADER, text)
    assert "not an emergency service" in words(replies)
    assert "call your local emergency number" in words(replies)


async def test_risk_in_a_slash_command_too(db: Database) -> None:
    await world(db)
    replies = await say(db, LEADER, "/coach help I want to kill myself", kind="command")
    assert "not an emergency service" in words(replies)


async def test_commands_and_logistics_reach_their_flow(db: Database) -> None:
    await world(db)
    assert "They start again on Tue 1 Dec" in words(await say(db, LEADER, "pause 2026-12-01"))
    assert "Nudges are back on" in words(await say(db, LEADER, "resume"))
    sessions = await say(db, LEADER, "I need to cancel my session on Tuesday")
    assert "You have no upcoming sessions." in words(sessions)  # the sessions flow answered
    assert not any(m.key.startswith("handoff:") for m in sessions)


async def test_developmental_words_go_to_the_coach_on_the_leaders_terms(db: Database) -> None:
    await world(db)
    [offer] = await say(db, LEADER, "My team keeps missing deadlines and I don't know what to say")
    assert "a good thing to take to Ana Ruiz" in offer.text and offer.key.startswith("handoff:")
    labels = [b.label for b in offer.buttons]
    assert "Keep it private" in labels and any(
        label.startswith("Share it with") for label in labels
    )


async def test_short_unknown_words_and_greetings_are_not_handed_off(db: Database) -> None:
    await world(db)
    [unknown] = await say(db, LEADER, "frobnicate")
    assert "didn't recognise" in unknown.text and not unknown.key
    [hello] = await say(db, LEADER, "hi")
    assert not hello.key


async def test_a_coachs_words_are_not_classified(db: Database) -> None:
    await world(db)
    replies = await say(db, COACH, "My client keeps missing deadlines and I wonder what to do")
    assert not any(m.key.startswith("handoff:") for m in replies)
