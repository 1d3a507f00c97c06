"""Teams messages ask the model before the one write transaction of the turn."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.db import Database
from tests.bot.test_refine import COPY, MISSED, answer
from tests.handlers.teams.teams_env import enrolled_world, teams_env
from tests.handlers.test_web_hint import (
    THINKING,
    model_settings,
    risk_audits,
    write_while_the_model_thinks,
)
from tests.llm_stub import LlmStub, llm_stub

__all__ = ["llm_stub"]  # the fixture, used by the tests below


async def test_a_model_risk_in_a_teams_chat_gets_the_resources(
    db: Database, tmp_path: Path, llm_stub: LlmStub
) -> None:
    async with teams_env(db, tmp_path, **model_settings(llm_stub)) as env:
        assert env.rt.teams is not None and env.rt.teams.llm is env.rt.jobs.llm
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email, name=w.leader.name)
        await env.say(leader, "hi")  # links the leader's AAD id
        llm_stub.script(answer("risk", category="self_harm", delay=THINKING))
        sent = asyncio.ensure_future(env.post(env.activity(leader, text=MISSED)))
        assert await write_while_the_model_thinks(env.rt.database, llm_stub, 0) == 0
        assert (await sent).status == 200
        await env.settle()
        assert [a["rule_id"] for a in await risk_audits(env.rt.database)] == ["llm"]
        assert any(COPY("safety.title") in t for t in env.texts(leader))
        assert env.rt.jobs.llm is not None
        await env.rt.jobs.llm.aclose()
