"""The Slack edge over HTTP: signed requests in; the stand-in Slack records what went out."""

from __future__ import annotations

import json
import logging
import time

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import InboundEvent, OutboxMessage, PlatformIdentity
from tests.factories import make_world
from tests.handlers.slack.mock_slack import SlackUser
from tests.handlers.slack.slack_env import SlackEnv, sign, slack_env

LEADER = "ULEADER"


async def counts(db: Database) -> tuple[int, int, int]:
    """Rows that an inbound request could write: outbox, inbox events, identities."""
    async with db.reading() as s:
        return (
            await s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
            await s.scalar(select(func.count()).select_from(InboundEvent)) or 0,
            await s.scalar(select(func.count()).select_from(PlatformIdentity)) or 0,
        )


async def world(db: Database, env: SlackEnv) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        email = w.leader.email
    env.mock.add_user(SlackUser(id=LEADER, email=email))


def posted_texts(env: SlackEnv, channel: str) -> list[str]:
    return [
        json.dumps(c.args.get("blocks", "")) + str(c.args.get("text", ""))
        for c in env.mock.called("chat.postMessage")
        if c.args.get("channel") == channel
    ]


async def test_coach_help_is_answered_in_the_dm(db: Database) -> None:
    async with slack_env(db) as env:
        await world(db, env)
        started = time.perf_counter()
        response = await env.command(LEADER, "help")
        assert response.status == 200 and time.perf_counter() - started < 3
        await env.settle()
        assert env.mock.called("users.info")  # found by email, then remembered by id
        texts = posted_texts(env, f"D{LEADER}")
        assert texts and "book" in texts[0].lower()
        posts = env.mock.called("chat.postMessage")
        assert all(c.args.get("unfurl_links") is False for c in posts)
        async with db.reading() as s:
            ident = await s.scalar(select(PlatformIdentity))
        assert ident is not None and ident.external_id == LEADER and ident.tenant_key == "T0001"
        env.mock.reset()
        await env.command(LEADER, "help")
        await env.settle()
        assert not env.mock.called("users.info")


@pytest.mark.parametrize("email", [None, "stranger@elsewhere.example"])
async def test_someone_on_no_roster_is_told_politely_and_nothing_is_stored(
    db: Database, email: str | None
) -> None:
    async with slack_env(db) as env:
        await world(db, env)
        if email is not None:
            env.mock.add_user(SlackUser(id="USTRANGER", email=email))
        before = await counts(db)
        response = await env.command("USTRANGER", "book")
        assert response.status == 200
        assert "not enrolled" in (await response.text()).lower()
        reply = await env.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": "DSTRANGER",
                "user": "USTRANGER",
                "text": "my confidential words",
                "ts": "1.1",
            },
            event_id="EvStranger",
        )
        assert reply.status == 200
        await env.settle()
        assert await counts(db) == before
        told = env.mock.called("chat.postMessage")
        assert [c.args["channel"] for c in told] == ["DSTRANGER"]
        assert "not enrolled" in told[0].args["text"].lower()


@pytest.mark.parametrize("case", ["bad signature", "tampered body", "stale", "future"])
async def test_a_bad_or_stale_signature_gets_401_and_changes_nothing(
    db: Database, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with slack_env(db) as env:
        await world(db, env)
        body = "team_id=T0001&user_id=ULEADER&command=%2Fcoach&text=pause+my+secret+words"
        headers = sign(body)
        if case == "bad signature":
            headers = sign(body, secret="not-the-secret")
        elif case == "tampered body":
            body = body.replace("pause", "resume")
        elif case == "stale":
            headers = sign(body, at=int(time.time()) - 301)
        elif case == "future":
            headers = sign(body, at=int(time.time()) + 301)
        before = await counts(db)
        response = await env.post(body, "application/x-www-form-urlencoded", headers)
        assert response.status == 401
        await env.settle()
        assert await counts(db) == before and env.mock.calls == []
        assert "secret" not in caplog.text and "ULEADER" not in caplog.text  # body never logged


async def test_a_dm_delivered_three_times_has_one_effect(db: Database) -> None:
    async with slack_env(db) as env:
        await world(db, env)
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{LEADER}",
            "user": LEADER,
            "text": "help",
            "ts": "2.2",
        }
        for retry in range(3):
            response = await env.event(event, event_id="EvOnce", retry=retry)
            assert response.status == 200
        await env.settle()
        async with db.reading() as s:
            events = list(await s.execute(select(InboundEvent.event_id, InboundEvent.status)))
        assert [tuple(e) for e in events] == [("EvOnce", "processed")]
        assert len(posted_texts(env, f"D{LEADER}")) == 1


async def test_an_uninstalled_workspace_gets_nothing_more(db: Database) -> None:
    async with slack_env(db) as env:
        await world(db, env)
        await env.command(LEADER, "help")
        await env.settle()
        response = await env.event({"type": "app_uninstalled"}, event_id="EvGone")
        assert response.status == 200
        await env.settle()
        env.mock.reset()
        await env.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{LEADER}",
                "user": LEADER,
                "text": "help",
                "ts": "3.3",
            },
            event_id="EvAfter",
        )
        await env.settle()
        assert env.mock.called("chat.postMessage") == []  # nothing is sent to it any more
