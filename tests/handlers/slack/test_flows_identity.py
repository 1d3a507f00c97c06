"""Finding who is talking when Slack's users.info is slow or refuses for a while."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handlers.slack.events import replay_stale
from storage.db import Database
from storage.models import InboundEvent
from tests.factories import add_person
from tests.handlers.slack.mock_slack import Fault, SlackUser
from tests.handlers.slack.slack_env import LEADER, SlackEnv, installed_world, posted_to, slack_env

LEADER_DM = f"D{LEADER}"


def dm(user: str, text: str) -> dict[str, Any]:
    """A message event in `user`'s DM with the bot."""
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }


async def events(env: SlackEnv) -> list[tuple[str, str]]:
    """(event id, status) of every recorded inbound event."""
    async with env.rt.database.reading() as s:
        rows = await s.execute(select(InboundEvent.event_id, InboundEvent.status))
        return [(str(e), str(st)) for e, st in rows]


def not_enrolled_told(env: SlackEnv) -> bool:
    """True when anyone was told they are not enrolled."""
    posts = env.mock.called("chat.postMessage")
    return any("not enrolled" in str(c.args.get("text", "")) for c in posts)


async def test_a_dm_during_a_users_info_outage_is_kept_and_replayed(db: Database) -> None:
    async with slack_env(db) as env:
        await installed_world(env)
        env.mock.fail("users.info", Fault(status=429, retry_after=1))
        response = await env.event(dm(LEADER, "pause"), event_id="EvBusy")
        assert response.status == 200
        await env.settle()
        assert not not_enrolled_told(env)  # an enrolled leader is never told otherwise
        assert await events(env) == [("EvBusy", "received")]  # kept for the replay

        later = env.rt.clock.now() + timedelta(minutes=2)
        assert env.rt.slack is not None
        assert await replay_stale(env.rt.slack.edge, later) == 1
        await env.settle()
        assert await events(env) == [("EvBusy", "processed")]
        assert [c for c in posted_to(env.mock, LEADER_DM) if "paused" in str(c.args["text"])]
        assert await replay_stale(env.rt.slack.edge, later) == 0


async def test_a_command_during_a_users_info_outage_is_not_refused(db: Database) -> None:
    async with slack_env(db) as env:
        await installed_world(env)
        env.mock.fail("users.info", Fault(status=503))
        response = await env.command(LEADER, "help")
        assert "not enrolled" not in (await response.text()).lower()
        await env.settle()
        assert not not_enrolled_told(env)
        response = await env.command(LEADER, "help")  # Slack is back: no remembered miss
        assert response.status == 200 and await response.text() == ""
        await env.settle()
        assert posted_to(env.mock, LEADER_DM)


async def test_a_slow_users_info_for_a_newcomer_holds_up_no_one_else(db: Database) -> None:
    async with slack_env(db) as env:
        w = await installed_world(env)
        await env.command(LEADER, "help")  # the leader is known from now on
        await env.settle()
        async with env.rt.database.transaction() as s:
            await add_person(
                s, w, email="new@example.com", name="New Person", role="leader", timezone="UTC"
            )
        env.mock.add_user(SlackUser(id="UNEW", email="new@example.com"))
        gate = env.mock.stall("users.info")
        response = await env.event(dm("UNEW", "hello"), event_id="EvNew")
        assert response.status == 200
        await asyncio.sleep(0.1)  # its handling now waits for users.info
        started = time.perf_counter()
        response = await env.command(LEADER, "pause")
        assert response.status == 200 and time.perf_counter() - started < 1.5
        gate.set()
        await env.settle()
        assert sorted(await events(env)) == [("EvNew", "processed")]
