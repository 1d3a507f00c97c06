"""Slack failures through the real dispatcher: 429 holds, 5xx retries, dead tokens, unreachable."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr
from sqlalchemy import select, update

from bot.delivery.identities import clear_unreachable
from bot.delivery.report import unreachable_people
from bot.ui import Message
from handlers.slack.tokens import WorkspaceTokens
from storage.db import Database
from storage.models import DeliveryHold, PlatformIdentity, SlackInstallation, SlackWorkspace
from tests.factories import T0
from tests.handlers.slack.mock_slack import Fault
from tests.handlers.slack.test_sender import T2_TOKEN, slack_env, texts


async def test_a_429_holds_only_that_workspace_and_every_message_arrives_once(
    db: Database,
) -> None:
    async with slack_env(db) as env:
        env.mock.fail("chat.postMessage", Fault(status=429, retry_after=2, team="T1"))
        for n in range(3):
            await env.queue(env.world.leader, Message(text=f"leader {n}"))
            await env.queue(env.world.coach, Message(text=f"coach {n}"))
        report = await env.run()
        assert (report.sent, report.held) == (3, 3)
        assert texts(env.mock, channel="DU2") == ["coach 0", "coach 1", "coach 2"]
        assert texts(env.mock, channel="DU1") == []
        async with db.reading() as s:
            holds = {h.bucket: h.until for h in (await s.scalars(select(DeliveryHold))).all()}
        assert holds == {"slack:T1": T0 + timedelta(seconds=2)}
        assert (await env.run(T0 + timedelta(seconds=1))).claimed == 0  # still held
        assert (await env.run(T0 + timedelta(seconds=3))).sent == 3
        assert texts(env.mock, channel="DU1") == ["leader 0", "leader 1", "leader 2"]
        assert texts(env.mock, channel="DU2") == ["coach 0", "coach 1", "coach 2"]
        assert len(env.mock.called("chat.postMessage", team="T1")) == 4  # one answered 429
        assert {r.status for r in await env.rows()} == {"sent"}
        assert {r.attempts for r in await env.rows()} == {1}  # a hold does not count


async def test_a_server_error_is_retried_and_delivered_once(db: Database) -> None:
    async with slack_env(db) as env:
        env.mock.fail("chat.postMessage", Fault(status=503))
        await env.queue(env.world.leader, Message(text="hi"))
        assert (await env.run()).retrying == 1
        row = (await env.rows())[0]
        assert (row.status, row.last_error) == ("pending", "Slack answered 503")
        assert (await env.run(T0 + timedelta(hours=2))).sent == 1
        assert texts(env.mock) == ["hi"]


async def test_a_revoked_token_stops_the_workspace_and_nothing_more_is_sent_there(
    db: Database,
) -> None:
    async with slack_env(db) as env:
        env.mock.fail("chat.postMessage", Fault(error="token_revoked", team="T2"))
        for n in range(3):
            await env.queue(env.world.coach, Message(text=f"coach {n}"))
        await env.queue(env.world.leader, Message(text="leader"))
        report = await env.run()
        assert (report.sent, report.dead) == (1, 3)
        assert texts(env.mock, channel="DU1") == ["leader"]
        assert len(env.mock.called("chat.postMessage", team="T2")) == 1
        rows = await env.rows()
        assert {r.last_error for r in rows if r.status == "dead"} == {
            "workspace stopped: token_revoked"
        }
        async with db.reading() as s:
            workspace = await s.scalar(select(SlackWorkspace).where(SlackWorkspace.team_id == "T2"))
            install = await s.scalar(select(SlackInstallation))
        assert workspace is not None and workspace.stopped_reason == "token_revoked"
        assert workspace.stopped_at == T0
        assert install is not None and install.bot_token is None
        env.fresh_sender()  # a restarted process does not try either
        before = len(env.mock.calls)
        await env.queue(env.world.coach, Message(text="later"))
        assert (await env.run(T0 + timedelta(minutes=5))).dead == 1
        assert len(env.mock.calls) == before
        tokens = WorkspaceTokens(db, default_token=None)
        await tokens.save_installation(team_id="T2", bot_token=T2_TOKEN, now=T0)  # reinstall
        assert await tokens.token_for("T2") == T2_TOKEN


async def test_no_member_with_that_email_marks_the_person_unreachable(db: Database) -> None:
    async with slack_env(db, leader_known=False) as env:
        env.mock.users.pop("U1")
        await env.queue(env.world.leader, Message(text="one"))
        await env.queue(env.world.leader, Message(text="two"))
        assert (await env.run()).dead == 2
        assert len(env.mock.called("users.lookupByEmail")) == 1  # the second row asked nothing
        reason = "unreachable on Slack: no member with that email"
        assert {r.last_error for r in await env.rows()} == {reason}
        ident = await env.identity(env.world.leader)
        assert ident is not None and ident.unreachable_reason == reason
        assert ident.tenant_key == "T1" and ident.unreachable_since == T0
        async with db.reading() as s:
            people = await unreachable_people(s)
        assert [(p.name, p.email, p.platform, p.reason, p.since) for p in people] == [
            ("Sam Lee", "leader@example.com", "slack", reason, T0)
        ]
        env.fresh_sender()  # a new process: the stored mark stops it before any call
        before = len(env.mock.calls)
        await env.queue(env.world.leader, Message(text="three"))
        assert (await env.run(T0 + timedelta(minutes=1))).dead == 1
        assert len(env.mock.calls) == before


async def test_a_user_gone_from_slack_is_marked_and_a_later_send_clears_it(db: Database) -> None:
    async with slack_env(db) as env:
        env.mock.fail("conversations.open", Fault(error="user_not_found"))
        await env.queue(env.world.leader, Message(text="one"))
        assert (await env.run()).dead == 1
        ident = await env.identity(env.world.leader)
        assert (
            ident is not None and ident.unreachable_reason == "unreachable on Slack: user_not_found"
        )
        assert ident.external_id == "U1"  # the known id is kept
        async with db.transaction() as s:  # e.g. the edge re-linked them
            await clear_unreachable(s, env.world.leader.id, "slack")
        env.fresh_sender()
        await env.queue(env.world.leader, Message(text="two"))
        assert (await env.run(T0 + timedelta(minutes=1))).sent == 1
        ident = await env.identity(env.world.leader)
        assert ident is not None and ident.unreachable_reason is None


async def test_other_api_errors_are_retried_with_the_error_code(db: Database) -> None:
    async with slack_env(db) as env:
        env.mock.fail("chat.postMessage", Fault(error="fatal_error"))
        await env.queue(env.world.leader, Message(text="hi"))
        assert (await env.run()).retrying == 1
        assert (await env.rows())[0].last_error == "fatal_error"
        assert (await env.run(T0 + timedelta(hours=2))).sent == 1


async def test_the_default_token_revoked_stops_a_workspace_without_a_row(db: Database) -> None:
    tokens = WorkspaceTokens(db, default_token=SecretStr("xoxb-default"))
    assert await tokens.token_for("T9") == "xoxb-default"
    await tokens.stop("T9", "invalid_auth", T0)
    assert await tokens.token_for("T9") is None
    assert (await tokens.lookup("T9")).stopped == "invalid_auth"
    await tokens.resume("T9")
    assert await tokens.token_for("T9") == "xoxb-default"


async def test_a_learned_id_already_linked_to_someone_else_is_not_taken(db: Database) -> None:
    async with slack_env(db, leader_known=False) as env:
        env.mock.users["U2"].team = "T1"  # the leader's email now finds the coach's member id
        env.mock.users["U2"].email = "leader@example.com"
        env.mock.users.pop("U1")
        async with db.transaction() as s:
            await s.execute(update(PlatformIdentity).values(tenant_key="T1"))
        await env.queue(env.world.leader, Message(text="hi"))
        assert (await env.run()).sent == 1
        assert await env.identity(env.world.leader) is None
        coach = await env.identity(env.world.coach)
        assert coach is not None and coach.external_id == "U2"
