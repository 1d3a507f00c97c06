"""The playground asks the model before its write transaction, and a model's risk gets help."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.clock import VirtualClock
from bot.dispatcher import Dispatcher
from bot.llm import LLM
from bot.settings import Settings
from handlers.web import WebDeps, WebSender, add_web_routes
from storage.db import Database
from storage.models import AuditEntry
from tests.bot.test_refine import COPY, MISSED, answer
from tests.factories import T0, make_world
from tests.handlers.web_env import serve
from tests.llm_stub import LlmStub, llm_stub

__all__ = ["llm_stub"]  # the fixture, used by the tests below

THINKING = 1.0
"""Seconds the stub takes to answer: the edge's turn must not hold a transaction meanwhile."""


def model_settings(stub: LlmStub) -> dict[str, Any]:
    """Settings that turn the model on, pointed at the stub."""
    return {
        "openai_base_url": stub.base_url,
        "openai_timeout_seconds": 5.0,
        "openai_daily_cap_per_person": 100,
    }


async def risk_audits(database: Database) -> list[dict[str, Any]]:
    """The detail of every risk entry in the audit log."""
    async with database.reading() as s:
        found = await s.scalars(select(AuditEntry).where(AuditEntry.action == "safety.risk"))
        return [dict(e.detail) for e in found]


async def write_while_the_model_thinks(database: Database, stub: LlmStub, asked: int) -> int:
    """Once the model is asked, commit a write transaction; how many risk entries it saw."""
    async with asyncio.timeout(10):
        while len(stub.requests) <= asked:  # noqa: ASYNC110 (the stub only keeps a list)
            await asyncio.sleep(0.01)
    async with database.transaction() as s:  # SQLite: waits for any open writer
        found = await s.scalars(select(AuditEntry.id).where(AuditEntry.action == "safety.risk"))
        return len(found.all())


async def no_sweeps(_start: datetime, _end: datetime) -> list[tuple[str, str]]:
    return []


@pytest.fixture
async def llm(llm_stub: LlmStub) -> AsyncIterator[LLM]:
    model = LLM.from_settings(Settings(_env_file=None, **model_settings(llm_stub)))
    assert model is not None
    yield model
    await model.aclose()


async def test_a_model_risk_in_the_playground_gets_the_resources(
    db: Database, llm: LLM, llm_stub: LlmStub
) -> None:
    async with db.transaction() as s:
        leader_id = (await make_world(s)).leader.id
    clock = VirtualClock(source=lambda: T0)
    dispatcher = Dispatcher(database=db, senders={"web": WebSender()}, clock=clock.now)
    app = web.Application()
    deps = WebDeps(
        database=db,
        clock=clock,
        dispatcher=dispatcher,
        run_due=no_sweeps,
        scheduler_state=lambda: {"running": False},
        local_mode=True,
        llm=llm,
    )
    add_web_routes(app, deps=deps)
    client = await serve(app)
    try:
        llm_stub.script(answer("risk", category="abuse", delay=THINKING))
        body = {"person_id": leader_id, "text": MISSED}
        sent = asyncio.ensure_future(client.post("/api/interact", json=body))
        assert await write_while_the_model_thinks(db, llm_stub, 0) == 0
        response = await sent
        assert response.status == 200
        html = " ".join(e["html"] for e in (await response.json())["entries"])
        assert COPY("safety.title") in html
        assert await risk_audits(db) == [
            {"category": "abuse", "rule_id": "llm", "policy": "never", "notified": False}
        ]
        await client.post("/api/interact", json={"person_id": leader_id, "text": "help"})
        assert len(llm_stub.requests) == 1  # a command word is not sent to the model
    finally:
        await client.close()
