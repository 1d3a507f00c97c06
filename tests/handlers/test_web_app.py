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
from tests.handlers.web_env import Env, build, outbox_rows, serve, unreachable


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
    async with unreachable(url, keyring) as database:
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


@pytest.mark.parametrize(
    "url",
    ["sqlite:////nonexistent-dir/cc/none.db", "postgresql://nobody@127.0.0.1:1/none"],
)
async def test_api_says_503_in_json_when_the_database_does_not_answer(
    url: str, keyring: Keyring
) -> None:
    async with unreachable(url, keyring) as database:
        app, clock, jobs = build(database)
        client = await serve(app)
        try:
            for method, path, body in [
                ("GET", "/api/people", None),
                ("POST", "/api/interact", {"person_id": 1, "text": "help"}),
                ("GET", "/api/transcript?person_id=1", None),
                ("GET", "/api/clock?person_id=1", None),
                ("POST", "/api/clock", {"advance": "1d", "person_id": 1}),
                ("POST", "/api/clock", {"advance": "1d"}),
            ]:
                response = await client.request(method, path, json=body)
                assert response.status == 503, path
                assert response.content_type == "application/json", path
                answer = await response.json()
                assert answer == {"error": "The database is not answering. Try again in a moment."}
            assert clock.now() == T0 and jobs.calls == []  # no sweep was skipped
        finally:
            await client.close()


async def test_api_says_500_in_json_when_something_else_breaks(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**_kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr("handlers.web.api.roster", broken)
    response = await env.client.get("/api/people")
    assert response.status == 500 and response.content_type == "application/json"
    assert "went wrong" in (await response.json())["error"]


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
    assets = ("playground.js", "playground-log.js", "playground.css")
    for asset in assets:
        assert f'"/static/{asset}"' in html
        kind = "text/css" if asset.endswith(".css") else "javascript"
        response = await env.client.get(f"/static/{asset}")
        assert response.status == 200 and kind in response.content_type
        assert "https://" not in await response.text()


async def test_wake_failure_still_commits(db: Database) -> None:
    async with db.transaction() as s:
        world = await make_world(s)

    class Broken:
        async def wake(self) -> object:
            raise RuntimeError("boom")

    async def no_jobs(_start: datetime, _end: datetime) -> list[tuple[str, str]]:
        return []

    app = web.Application()
    run_due: Callable[[datetime, datetime], Awaitable[list[tuple[str, str]]]] = no_jobs
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
