"""The web app around the conversation: the virtual clock, /healthz, local-mode-only routes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.clock import VirtualClock
from bot.outbox import enqueue
from bot.ui import Message
from handlers.web import WebDeps, add_web_routes
from storage.crypto import Keyring
from storage.db import Database
from storage.models import OutboxMessage, Person
from tests.factories import T0, make_world
from tests.handlers.web_env import Env, build, outbox_rows, post, serve


async def test_clock_advance_runs_due_jobs_and_delivers(env: Env) -> None:
    async with env.database.transaction() as s:
        leader = await s.get(Person, env.world.leader.id)
        assert leader is not None
        await enqueue(
            db=s,
            person=leader,
            message=Message(text="Time for your *weekly reflection*"),
            now=T0 + timedelta(hours=20),
            kind="nudge",
            channel="web",
            bucket="web",
        )
    who = env.world.leader.id
    status, body = await post(env, "/api/clock", {"advance": "1d", "person_id": who})
    assert status == 200, body
    assert body["now"] == (T0 + timedelta(days=1)).isoformat()
    assert body["shown"] == "Wed 25 Nov 2026, 05:00 EST"
    assert body["jobs"] == [{"job": "outbox", "summary": "1 sent"}]
    assert env.jobs.calls == [T0 + timedelta(days=1)]
    assert env.clock.now() == T0 + timedelta(days=1)
    poll = await env.client.get(f"/api/transcript?person_id={who}")
    [entry] = (await poll.json())["entries"]
    assert entry["kind"] == "nudge"
    assert "<strong>weekly reflection</strong>" in entry["html"]
    assert "Wed 25 Nov 2026, 05:00 EST</time>" in entry["html"]  # when it was sent
    status, body = await post(env, "/api/clock", {"advance": 3600})
    assert status == 200 and body["shown"].endswith("UTC")
    assert env.clock.now() == T0 + timedelta(days=1, hours=1)
    clock = await env.client.get(f"/api/clock?person_id={env.world.coach.id}")
    assert (await clock.json())["shown"] == "Wed 25 Nov 2026, 12:00 CET"


@pytest.mark.parametrize(
    "body",
    [
        {"advance": -60},
        {"advance": "-1h"},
        {"advance": "1 fortnight"},
        {"advance": True},
        {"advance": None},
        {},
        {"advance": "1h", "speed": 2},
        {"advance": "1h", "person_id": 999_999},
        {"advance": 10**9},
    ],
)
async def test_bad_clock_moves_are_refused_and_change_nothing(env: Env, body: object) -> None:
    status, answer = await post(env, "/api/clock", body)
    assert status == 400 and answer["error"]
    assert env.clock.now() == T0 and env.jobs.calls == []


async def test_healthz_ok(env: Env) -> None:
    async with env.database.transaction() as s:
        leader = await s.get(Person, env.world.leader.id)
        assert leader is not None
        await enqueue(
            db=s, person=leader, message=Message(text="secret words"), now=T0 + timedelta(days=9)
        )
    response = await env.client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body == {
        "status": "ok",
        "database": {"ok": True, "dialect": env.database.engine.dialect.name},
        "scheduler": {"running": False, "jobs": []},
        "outbox": {"pending": 1, "dead": 0},
        "clock": T0.isoformat(),
    }
    text = json.dumps(body)
    assert "Sam" not in text and "example.com" not in text and "secret" not in text


@pytest.mark.parametrize(
    "url",
    ["sqlite:////nonexistent-dir/cc/none.db", "postgresql://nobody@127.0.0.1:1/none"],
)
async def test_healthz_503_when_the_database_does_not_answer(url: str, keyring: Keyring) -> None:
    database = Database(url, keyring)
    app, _, _ = build(database, local_mode=False)
    client = await serve(app)
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "degraded"
        assert body["database"]["ok"] is False and body["outbox"] is None
    finally:
        await client.close()
        await database.dispose()


async def test_playground_absent_outside_local_mode(db: Database) -> None:
    app, _, _ = build(db, local_mode=False)
    client = await serve(app)
    try:
        assert (await client.get("/healthz")).status == 200
        for method, path in [
            ("GET", "/"),
            ("GET", "/static/playground.js"),
            ("GET", "/api/people"),
            ("POST", "/api/interact"),
            ("GET", "/api/transcript?person_id=1"),
            ("GET", "/api/clock"),
            ("POST", "/api/clock"),
        ]:
            response = await client.request(method, path, json={"person_id": 1, "text": "help"})
            assert response.status == 404, path
        assert await outbox_rows(db) == []
    finally:
        await client.close()


async def test_page_and_static_assets(env: Env) -> None:
    page = await env.client.get("/")
    assert page.status == 200 and page.content_type == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = await page.text()
    assert '<label class="panel-title" for="person">Talk as</label>' in html
    assert "http://" not in html and "https://" not in html  # no external assets
    for asset, kind in (("playground.js", "javascript"), ("playground.css", "text/css")):
        response = await env.client.get(f"/static/{asset}")
        assert response.status == 200 and kind in response.content_type
        assert "https://" not in await response.text()


async def test_wake_failure_still_commits(db: Database) -> None:
    async with db.transaction() as s:
        world = await make_world(s)

    class Broken:
        async def wake(self) -> object:
            raise RuntimeError("boom")

    async def no_jobs(_now: datetime) -> list[tuple[str, str]]:
        return []

    app = web.Application()
    run_due: Callable[[datetime], Awaitable[list[tuple[str, str]]]] = no_jobs
    add_web_routes(
        app,
        deps=WebDeps(
            database=db,
            clock=VirtualClock(source=lambda: T0),
            dispatcher=Broken(),
            run_due=run_due,
            scheduler_state=dict,
            local_mode=True,
        ),
    )
    client = await serve(app)
    try:
        response = await client.post(
            "/api/interact", json={"person_id": world.leader.id, "text": "help"}
        )
        assert response.status == 200
        assert (await response.json())["entries"] == []  # not delivered yet
        async with db.reading() as s:
            assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    finally:
        await client.close()
