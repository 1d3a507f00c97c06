"""Teams failures through the real dispatcher: 403 unreachable, 429 holds, retries, tokens."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.delivery.identities import clear_unreachable
from bot.delivery.report import unreachable_people
from bot.ui import Message
from handlers.teams.tokens import BotTokens, TeamsTokenError
from storage.db import Database
from storage.models import DeliveryHold
from tests.factories import T0
from tests.handlers.graph.fakes import CLIENT_ID, SECRET, TENANT, Authority, make_tls, running
from tests.handlers.teams.connector_fake import connector_fake
from tests.handlers.teams.test_sender import TEN_A, TEN_B, teams_env, texts


async def test_403_marks_the_person_unreachable_and_later_rows_make_no_call(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        env.fake.uninstall("29:leader")
        await env.queue(env.world.leader, Message(text="Nudge"))
        assert (await env.run()).dead == 1
        reason = "not installed for this person: BotNotInConversationRoster"
        assert (await env.identity(env.world.leader)).unreachable_reason == reason
        async with db.reading() as s:
            assert [(p.email, p.platform) for p in await unreachable_people(s)] == [
                ("leader@example.com", "teams")
            ]
        calls = len(env.fake.calls)
        await env.fresh_sender()
        await env.queue(env.world.leader, Message(text="Second"))
        assert (await env.run(T0 + timedelta(hours=1))).dead == 1
        assert len(env.fake.calls) == calls  # no hot loop: nothing reached the connector
        env.fake.install("29:leader")  # the edge clears the mark when the app is installed
        async with db.transaction() as s:
            await clear_unreachable(s, env.world.leader.id, "teams")
        await env.queue(env.world.leader, Message(text="Welcome back"))
        assert (await env.run(T0 + timedelta(hours=2))).sent == 1
        assert texts(env.fake.activities(env.convs["leader"])) == ["Welcome back"]


async def test_proactive_create_refused_is_unreachable(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path, coach_ref=False) as env:
        env.fake.uninstall("aad-coach")
        await env.queue(env.world.coach, Message(text="Your week"))
        assert (await env.run()).dead == 1
        ident = await env.identity(env.world.coach)
        assert ident.unreachable_reason == "not installed for this person: Forbidden"
        assert ident.conversation_ref is None and env.fake.requests("send") == []


async def test_429_holds_that_tenant_only_and_nothing_is_lost_or_doubled(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        lead, coach = env.convs["leader"], env.convs["coach"]
        env.fake.fault(429, retry_after="3", conversation=lead, route="send", skip=2)
        await env.queue(env.world.leader, Message(text="L0"))
        await env.queue(env.world.leader, Message(text="L1a\n\nL1b\n\nL1c"))
        await env.queue(env.world.leader, Message(text="L2"))
        for n in range(3):
            await env.queue(env.world.coach, Message(text=f"C{n}"))
        report = await env.run()
        assert (report.sent, report.held) == (4, 2)
        assert texts(env.fake.activities(coach)) == ["C0", "C1", "C2"]
        async with db.reading() as s:
            hold = await s.scalar(
                select(DeliveryHold).where(DeliveryHold.bucket == f"teams:{TEN_A}")
            )
            assert hold is not None and hold.until == T0 + timedelta(seconds=3)
            assert (
                await s.scalar(select(DeliveryHold).where(DeliveryHold.bucket == f"teams:{TEN_B}"))
                is None
            )
        assert (await env.run(T0 + timedelta(seconds=1))).claimed == 0
        report = await env.run(T0 + timedelta(seconds=4))
        assert report.sent == 2
        assert texts(env.fake.activities(lead)) == ["L0", "L1a", "L1b", "L1c", "L2"]
        assert [r.status for r in await env.rows()] == ["sent"] * 6


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_transient_errors_are_retried_with_backoff(
    db: Database, tmp_path: Path, status: int
) -> None:
    async with teams_env(db, tmp_path) as env:
        env.fake.fault(status, times=2, route="send")
        await env.queue(env.world.leader, Message(text="Hello"))
        assert (await env.run()).retrying == 1
        (row,) = await env.rows()
        assert row.last_error is not None and str(status) in row.last_error
        assert row.next_attempt_at > T0
        assert (await env.run(T0 + timedelta(minutes=10))).retrying == 1
        assert (await env.run(T0 + timedelta(hours=2))).sent == 1
        assert texts(env.fake.activities(env.convs["leader"])) == ["Hello"]


async def test_401_drops_the_cached_token_once_and_the_retry_uses_a_new_one(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        env.fake.accept = lambda t: t in env.authority.issued and t != "tok-1"
        await env.queue(env.world.leader, Message(text="Hello"))
        assert (await env.run()).retrying == 1
        assert env.authority.token_requests == 1
        assert (await env.run(T0 + timedelta(hours=1))).sent == 1
        assert env.authority.token_requests == 2
        assert [c.authorization for c in env.fake.calls] == ["Bearer tok-1", "Bearer tok-2"]


async def test_a_refused_token_is_retryable_and_never_logs_the_secret(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with teams_env(db, tmp_path) as env:
        env.authority.refuse = True
        await env.queue(env.world.leader, Message(text="Hello"))
        assert (await env.run()).retrying == 1
        (row,) = await env.rows()
        assert row.last_error == "no Bot Framework token: token refused (invalid_client)"
        assert env.fake.calls == []
        assert SECRET not in caplog.text


async def test_the_conversation_guard_stops_past_the_hourly_limit(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        env.sender.conversation_limit = 2
        for n in range(3):
            await env.queue(env.world.leader, Message(text=f"M{n}"))
        report = await env.run()
        assert (report.sent, report.retrying) == (2, 1)
        assert len(env.fake.requests("send")) == 2
        assert (await env.rows())[2].last_error == "conversation limit (2/hour) reached"


async def test_msal_honours_requests_ca_bundle_for_a_local_authority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = make_tls(tmp_path)
    authority = Authority()
    async with running(authority.app(), tls.server) as base:
        authority.base = base
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca_file))
        tokens = BotTokens(
            app_id=CLIENT_ID, password=SECRET, tenant_id=TENANT, authority=authority.url
        )
        assert await tokens.token() == "tok-1"
        assert await tokens.token() == "tok-1"  # msal's cache
        assert authority.token_requests == 1
        monkeypatch.delenv("REQUESTS_CA_BUNDLE")
        untrusted = BotTokens(
            app_id=CLIENT_ID, password=SECRET, tenant_id=TENANT, authority=authority.url
        )
        with pytest.raises(TeamsTokenError) as caught:
            await untrusted.token()
        assert caught.value.retryable and SECRET not in repr(untrusted)


async def test_the_stand_in_answers_member_lookups_and_checks_the_token() -> None:
    async with connector_fake(accept=lambda t: t == "good") as fake:
        conv = fake.open_conversation("29:u", tenant=TEN_A, aad_object_id="aad-u")
        url = f"{fake.service_url}v3/conversations/{conv}/members/aad-u"
        async with aiohttp.ClientSession() as http:
            async with http.get(url, headers={"Authorization": "Bearer good"}) as ok:
                assert ok.status == 200 and (await ok.json())["id"] == "29:u"
            async with http.get(url, headers={"Authorization": "Bearer bad"}) as bad:
                assert bad.status == 401
        assert [(c.route, c.status, c.authorization) for c in fake.calls] == [
            ("member", 200, "Bearer good"),
            ("member", 401, "Bearer bad"),
        ]
