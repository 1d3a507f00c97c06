"""A proactive nudge after a restart reaches the chat through the stored conversation reference."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from bot.jobs import run_due
from storage.db import Database
from storage.models import Engagement, NudgePlan, NudgeSettings
from tests.handlers.teams.teams_env import enrolled_world, start, stop, teams_env


async def test_a_nudge_after_a_restart_uses_the_stored_reference(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email, name=w.leader.name)
        await env.say(leader, "help")  # first contact: the reference is stored
        async with env.rt.database.transaction() as s:
            now = env.rt.clock.now()
            s.add(NudgeSettings(person_id=w.leader.id, quiet_hours_ok=True, updated_at=now))
            # Welcomed already: else, when this runs outside the leader's working hours, the
            # welcome waits for them and goes with the nudge (the clock here is the real one).
            await s.execute(
                update(Engagement).where(Engagement.id == w.engagement.id).values(welcomed_at=now)
            )
        await stop(env.rt, env.client)  # the process goes away ...
        env.rt, env.client = await start(env.settings)  # ... and a new one comes up
        await run_due(env.rt.jobs, now=now)  # plans the leader's nudges
        async with env.rt.database.reading() as s:
            due = await s.scalar(
                select(NudgePlan.next_due_at).where(NudgePlan.kind == "reflection")
            )
        assert due is not None and due > now
        before = len(env.received(leader))
        summary = dict(await run_due(env.rt.jobs, now=due))
        assert summary["nudges"].startswith("1 nudges sent"), summary
        assert "sent 1," in summary["outbox"], summary
        nudge = env.received(leader)[before:]
        assert len(nudge) == 1 and nudge[0]["conversation"]["id"] == leader.conversation
        assert nudge[0]["recipient"]["id"] == leader.id
        assert env.fake.requests("create") == []
        assert env.authority.token_requests == 2  # the new process asked for its own token
