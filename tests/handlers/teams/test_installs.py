"""Install and reach: the welcome card, unreachable people, and delivery once they install."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.delivery.report import UnreachablePerson, unreachable_people
from bot.outbox import enqueue
from bot.ui import Message
from storage.db import Database
from storage.models import OutboxMessage, Person, PlatformIdentity
from tests.handlers.teams.teams_env import TeamsEnv, TeamsUser, enrolled_world, teams_env


async def queue_for(env: TeamsEnv, person_id: int, text: str) -> None:
    """A proactive message for a person, queued as the core queues one."""
    async with env.rt.database.transaction() as s:
        person = await s.get(Person, person_id)
        assert person is not None
        await enqueue(db=s, person=person, message=Message(text=text), now=env.rt.clock.now())


async def statuses(env: TeamsEnv) -> list[str]:
    """The outbox rows' statuses, oldest first."""
    async with env.rt.database.reading() as s:
        return list(await s.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


async def unreachable(env: TeamsEnv) -> list[UnreachablePerson]:
    """What `python app.py people unreachable` lists."""
    async with env.rt.database.reading() as s:
        return await unreachable_people(s)


def installation(env: TeamsEnv, user: TeamsUser, action: str) -> dict[str, Any]:
    """installationUpdate (add, remove, add-upgrade ...) for the user's personal chat."""
    body = env.install_activity(user)
    body.pop("membersAdded")
    return body | {"type": "installationUpdate", "action": action}


async def test_install_welcomes_with_what_is_kept_confidential(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email, name=w.leader.name)
        await env.send(installation(env, leader, "add"))  # Teams sends both on install
        await env.send(env.install_activity(leader))
        [welcome] = env.texts(leader)
        assert "Welcome to Coach Companion" in welcome and "Hi Sam" in welcome
        assert "encrypted and private to you" in welcome and "HR only ever sees" in welcome
        async with env.rt.database.reading() as s:
            [ident] = list(await s.scalars(select(PlatformIdentity)))
        assert ident.person_id == w.leader.id and ident.external_id == leader.aad
        assert (ident.conversation_ref or {})["conversation"]["id"] == leader.conversation
        await env.click(leader, "command")  # the welcome's help button
        assert "book: book a session" in env.texts(leader)[-1]
        await env.send(installation(env, leader, "add-upgrade"))  # a new app version
        await env.send(installation(env, leader, "remove-upgrade"))
        assert len(env.received(leader)) == 2 and await unreachable(env) == []


async def test_an_install_by_someone_on_no_roster_is_answered_once(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        await enrolled_world(env)
        stranger = env.user("stranger", email="who@elsewhere.example")
        await env.send(installation(env, stranger, "add"))
        await env.send(env.install_activity(stranger))
        [reply] = env.received(stranger)
        assert "not enrolled" in reply["text"]
        assert await env.footprint() == (0, 0, 0)


async def test_a_refused_person_is_recorded_and_not_retried(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email, name=w.leader.name)
        await env.say(leader, "help")  # the reference is stored
        env.fake.uninstall(leader.id)  # then the app is removed for them, unseen by us
        await queue_for(env, w.leader.id, "Your session is tomorrow")
        await env.settle()
        assert [c.status for c in env.fake.requests("send")] == [201, 403]
        [gone] = await unreachable(env)
        assert (gone.email, gone.platform) == (w.leader.email, "teams")
        assert gone.reason == "not installed for this person: BotNotInConversationRoster"

        await queue_for(env, w.leader.id, "Your session is in an hour")
        await env.settle()
        await env.settle()
        assert len(env.fake.calls) == 3  # no hot loop: not even one more call
        assert await statuses(env) == ["sent", "dead", "dead"]


async def test_a_refused_person_is_reached_once_they_install(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email, name=w.leader.name)
        await env.say(leader, "help")
        env.fake.uninstall(leader.id)
        await queue_for(env, w.leader.id, "Your session is tomorrow")
        await env.settle()
        env.fake.install(leader.id)
        env.rt.clock.advance(timedelta(minutes=3))  # past the sender's in-process memory
        await env.send(env.install_activity(leader))
        assert "Your session is tomorrow" in env.texts(leader)
        assert await statuses(env) == ["sent"] * 3 and await unreachable(env) == []


@pytest.mark.parametrize("first", ["install", "message"])
async def test_what_waited_for_someone_reaches_them_when_they_come(
    db: Database, tmp_path: Path, first: str
) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        await queue_for(env, w.coach.id, "Sam Lee booked a session with you")
        await env.settle()
        [never] = await unreachable(env)  # no chat and no Teams id known: nobody to post to
        assert never.email == w.coach.email and never.reason.startswith("not installed")
        assert env.fake.calls == [] and await statuses(env) == ["dead"]

        coach = env.user("coach", email=w.coach.email, name=w.coach.name)
        if first == "install":
            await env.send(env.install_activity(coach))
        else:  # the install event never came (e.g. lost in an outage): a message will do
            await env.say(coach, "hello")
        words = env.texts(coach)
        assert "Sam Lee booked a session with you" in words and len(words) == 2
        assert await statuses(env) == ["sent", "sent"] and await unreachable(env) == []
        assert env.fake.requests("create") == []


async def test_removal_marks_them_unreachable_and_a_reinstall_resends(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email, name=w.leader.name)
        await env.send(env.install_activity(leader))
        await env.send(installation(env, leader, "remove"))
        [gone] = await unreachable(env)
        assert gone.reason == "not installed: the app was removed"
        await queue_for(env, w.leader.id, "Your session is tomorrow")
        await env.settle()
        assert len(env.fake.requests("send")) == 1  # the welcome only
        await env.send(installation(env, leader, "add"))
        assert env.texts(leader)[-1] == "Your session is tomorrow"
        assert await unreachable(env) == []
