"""Pausing and resuming nudges, and the App Home: published when opened and after each turn."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.timefmt import local
from storage.db import Database
from storage.models import NudgeSettings
from tests.factories import add_booking, add_goal
from tests.handlers.slack.slack_env import (
    LEADER,
    SlackEnv,
    installed_world,
    posted_to,
    slack_env,
    view_of,
)

LEADER_DM = f"D{LEADER}"


async def settings(env: SlackEnv) -> NudgeSettings | None:
    """The leader's nudge settings row (the world has one leader)."""
    async with env.rt.database.reading() as s:
        return await s.scalar(select(NudgeSettings))


async def said(env: SlackEnv, words: str) -> str:
    """Run `/coach WORDS` as the leader; the text of the DM reply it caused."""
    before = len(posted_to(env.mock, LEADER_DM))
    response = await env.command(LEADER, words)
    assert response.status == 200 and await response.text() == ""
    await env.settle()
    replies = posted_to(env.mock, LEADER_DM)[before:]
    assert len(replies) == 1
    return str(replies[0].args["text"])


def homes(env: SlackEnv, user: str = LEADER) -> list[str]:
    """The App Home views published for `user`, each as JSON text."""
    calls = env.mock.succeeded("views.publish")
    return [json.dumps(view_of(c)) for c in calls if c.args.get("user_id") == user]


async def opened_home(env: SlackEnv, user: str, event_id: str) -> None:
    """Slack's app_home_opened event for `user`, then the work after its ack."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user}",
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    response = await env.event(event, event_id=event_id)
    assert response.status == 200
    await env.settle()


async def test_pause_and_resume_change_the_settings_and_answer_in_the_dm(db: Database) -> None:
    async with slack_env(db) as env:
        await installed_world(env)
        assert "paused until you type resume" in await said(env, "pause")
        found = await settings(env)
        assert found is not None and found.paused_indefinitely and found.paused_until is None

        assert "back on" in await said(env, "resume")
        found = await settings(env)
        assert found is not None and not found.paused_indefinitely and found.paused_until is None
        assert "nothing to resume" in await said(env, "resume")

        day = local(env.rt.clock.now(), "America/New_York").date() + timedelta(days=10)
        assert "start again on" in await said(env, f"pause {day.isoformat()}")
        found = await settings(env)
        assert found is not None and found.paused_until is not None
        assert local(found.paused_until, "America/New_York").date() == day


async def test_app_home_is_published_when_opened_not_after_every_reply(db: Database) -> None:
    async with slack_env(db) as env:
        w = await installed_world(env)
        async with env.rt.database.transaction() as s:
            add_goal(s, w, "Delegate more", {"-1": "one", "0": "half", "+1": "all"})
            add_booking(s, w, env.rt.clock.now() + timedelta(days=8))
        await opened_home(env, LEADER, "EvHome1")
        [home] = homes(env)
        for words in ("Your sessions", "Coaching session with Ana Ruiz", "Your goals"):
            assert words in home
        assert "Delegate more" in home and "Your nudges" in home
        assert "paused until you resume" not in home

        await said(env, "pause")  # a reply in the DM: the Home is refreshed when next opened
        assert len(homes(env)) == 1
        await opened_home(env, LEADER, "EvHome2")
        assert len(homes(env)) == 2
        assert "paused until you resume" in homes(env)[-1]


async def test_someone_on_no_roster_gets_a_short_home(db: Database) -> None:
    async with slack_env(db) as env:
        await installed_world(env)
        await opened_home(env, "USTRANGER", "EvHome2")
        [home] = homes(env, "USTRANGER")
        assert "not enrolled" in home and "Your sessions" not in home
