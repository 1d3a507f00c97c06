"""POST /api/messages: forged tokens are refused with no side effect; redeliveries act once."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database
from storage.models import InboundEvent
from tests.handlers.teams.issuer import FORGERIES, Forgery
from tests.handlers.teams.teams_env import TeamsEnv, enrolled_world, teams_env

FORGED: tuple[Forgery, ...] = tuple(f for f in FORGERIES if f != "garbage")


async def refused(env: TeamsEnv, activity: dict[str, object], header: str) -> int:
    """Post with `header`; the status, after checking nothing was done or sent."""
    response = await env.post(activity, authorization=header)
    await env.settle()
    assert await response.json() == {"error": "unauthorized"}
    assert await env.footprint() == (0, 0, 0)
    assert env.fake.calls == [] and env.authority.token_requests == 0
    return int(response.status)


@pytest.mark.parametrize("forgery", FORGED)
async def test_a_forged_token_is_refused_with_no_side_effect(
    db: Database, tmp_path: Path, forgery: Forgery
) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email)
        activity = env.activity(leader, text="pause")
        status = await refused(env, activity, f"Bearer {env.issuer.forged(forgery, activity)}")
        assert status == 401


async def test_other_tenants_and_missing_tokens_are_refused(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email)
        other = env.activity(leader, text="pause")
        other["conversation"]["tenantId"] = other["channelData"]["tenant"]["id"] = "evil-tenant"
        assert await refused(env, other, env.issuer.header(other)) == 403
        activity = env.activity(leader, text="pause")
        assert await refused(env, activity, "") == 401
        assert await refused(env, activity, "Bearer " + env.issuer.forged("garbage")) == 401
        elsewhere = env.activity(leader, text="pause") | {"serviceUrl": "https://evil.example/"}
        assert await refused(env, elsewhere, env.issuer.header(elsewhere)) == 403


async def test_a_redelivered_activity_has_one_effect(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email)
        activity = env.activity(leader, text="pause")
        for _ in range(3):  # Teams retries with a fresh token each time
            await env.send(activity)
        assert len(env.received(leader)) == 1
        assert await env.count(InboundEvent) == 1


async def test_a_body_that_is_not_an_activity_gets_401_and_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        await enrolled_world(env)
        before = await env.footprint()
        header = env.issuer.header(env.activity(env.user("x"), text="hi"))
        for body in (b"not json", b"[1, 2]", b"{" + b" " * 300_000 + b"}"):
            response = await env.client.post(
                "/api/messages",
                data=body,
                headers={"Authorization": header, "Content-Type": "application/json"},
            )
            assert response.status == 401
        assert await env.footprint() == before and env.fake.calls == []
