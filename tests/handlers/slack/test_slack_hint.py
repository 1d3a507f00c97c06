"""Slack DMs ask the model before the write transaction; slash commands never wait on it."""

from __future__ import annotations

import json

from storage.db import Database
from tests.bot.test_refine import COPY, MISSED, answer
from tests.handlers.slack.slack_env import LEADER, installed_world, slack_env
from tests.handlers.test_web_hint import (
    THINKING,
    model_settings,
    risk_audits,
    write_while_the_model_thinks,
)
from tests.llm_stub import LlmStub, llm_stub

__all__ = ["llm_stub"]  # the fixture, used by the tests below


def dm(text: str, ts: str) -> dict[str, str]:
    """A leader's message in their DM with the bot."""
    where = {"type": "message", "channel_type": "im", "channel": f"D{LEADER}", "user": LEADER}
    return where | {"text": text, "ts": ts}


async def test_a_model_risk_in_a_dm_gets_the_resources(db: Database, llm_stub: LlmStub) -> None:
    async with slack_env(db, **model_settings(llm_stub)) as env:
        assert env.rt.slack is not None and env.rt.slack.edge.llm is env.rt.jobs.llm
        await installed_world(env)
        await env.event(dm("hi", "1.1"), event_id="EvHi")  # links the leader's Slack id
        await env.settle()
        llm_stub.script(answer("risk", category="crisis", delay=THINKING))
        response = await env.event(dm(MISSED, "2.2"), event_id="EvRisk")
        assert response.status == 200  # acked before the model is asked
        assert await write_while_the_model_thinks(env.rt.database, llm_stub, 0) == 0
        await env.settle()
        assert [a["rule_id"] for a in await risk_audits(env.rt.database)] == ["llm"]
        posted = [json.dumps(c.args.get("blocks", "")) for c in env.mock.called("chat.postMessage")]
        assert any(COPY("safety.title") in p for p in posted)
        assert (await env.command(LEADER, MISSED)).status == 200
        await env.settle()
        assert len(llm_stub.requests) == 1  # the slash command was not sent to the model
        assert env.rt.jobs.llm is not None
        await env.rt.jobs.llm.aclose()
