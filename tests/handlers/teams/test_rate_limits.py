"""429 from the Bot Connector: the tenant is held for Retry-After; nothing is lost or doubled."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage
from tests.handlers.teams.teams_env import enrolled_world, teams_env


async def test_429_holds_the_tenant_for_retry_after_then_all_go_once(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email)
        env.fake.fault(429, retry_after="30", conversation=leader.conversation, route="send")
        for word in ("help", "pause", "resume"):
            await env.say(leader, word)
        sends = env.fake.requests("send")
        assert [c.status for c in sends] == [429]  # held: nothing more before Retry-After
        async with env.rt.database.reading() as s:
            waiting = list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [r.status for r in waiting] == ["pending"] * 3
        held_until = env.rt.clock.now() + timedelta(seconds=25)
        assert waiting[0].next_attempt_at >= held_until  # the others wait on the held bucket

        env.rt.clock.advance(timedelta(seconds=31))
        await env.settle()
        await env.settle()
        assert [c.status for c in env.fake.requests("send")] == [429, 201, 201, 201]
        words = env.texts(leader)  # each reply once, in the order they were written
        assert len(words) == 3
        assert "book: book a session" in words[0]
        assert words[1].startswith("Nudges are paused")
        assert words[2].startswith("Nudges are back on")
        async with env.rt.database.reading() as s:
            statuses = list(await s.scalars(select(OutboxMessage.status)))
        assert statuses == ["sent"] * 3
