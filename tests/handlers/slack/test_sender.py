"""The Slack sender through the real dispatcher and slack_sdk, against the stand-in, on both DBs."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from bot.delivery.report import DispatchReport
from bot.dispatcher import Dispatcher
from bot.outbox import enqueue, enqueue_task
from bot.ratelimit import UNLIMITED
from bot.ui import Attachment, Message
from handlers.slack.sender import SlackSender
from handlers.slack.tokens import WorkspaceTokens
from storage.db import Database
from storage.models import OutboxMessage, Person, PlatformIdentity, SlackWorkspace
from tests.factories import T0, World, make_world
from tests.handlers.slack.mock_slack import Fault, MockSlack, SlackUser, mock_slack

T1_TOKEN, T2_TOKEN = "xoxb-t1", "xoxb-t2"
ICS = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


@dataclass
class Env:
    """A world (leader in T1 as U1, coach in T2 as U2), the stand-in, tokens, sender, dispatcher."""

    db: Database
    world: World
    mock: MockSlack
    tokens: WorkspaceTokens
    sender: SlackSender
    dispatcher: Dispatcher

    async def queue(self, person: Person, message: Message, **kw: Any) -> int:
        """Queue a message for `person` (routed as the core routes it)."""
        async with self.db.transaction() as s:
            fresh = await s.get(Person, person.id)
            assert fresh is not None
            row = await enqueue(db=s, person=fresh, message=message, now=T0, **kw)
            assert row is not None
            return row

    async def run(self, at: datetime = T0) -> DispatchReport:
        """One dispatcher pass at `at`."""
        return await self.dispatcher.dispatch_due(now=at)

    async def rows(self) -> list[OutboxMessage]:
        async with self.db.reading() as s:
            return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())

    async def identity(self, person: Person) -> PlatformIdentity | None:
        async with self.db.reading() as s:
            return await s.scalar(
                select(PlatformIdentity).where(
                    PlatformIdentity.person_id == person.id, PlatformIdentity.platform == "slack"
                )
            )

    def fresh_sender(self) -> SlackSender:
        """A new process's sender and dispatcher (nothing remembered in memory)."""
        tokens = WorkspaceTokens(self.db, default_token=SecretStr(T1_TOKEN))
        self.sender = SlackSender(tokens, api_url=self.mock.api_url, clock=lambda: T0)
        self.dispatcher = dispatcher(self.db, self.sender)
        return self.sender


def dispatcher(db: Database, sender: SlackSender) -> Dispatcher:
    """The real dispatcher, unpaced, with a fixed clock and seeded jitter."""
    return Dispatcher(
        database=db,
        senders={"slack": sender},
        clock=lambda: T0,
        rates={"slack": UNLIMITED},
        rng=random.Random(3),
        max_attempts=4,
    )


@asynccontextmanager
async def slack_env(db: Database, *, leader_known: bool = True) -> AsyncIterator[Env]:
    """T1 uses the default token, T2 a stored OAuth installation; both workspaces exist."""
    async with mock_slack() as mock:
        mock.tokens.update({T1_TOKEN: "T1", T2_TOKEN: "T2"})
        mock.add_user(SlackUser(id="U1", email="leader@example.com", team="T1"))
        mock.add_user(SlackUser(id="U2", email="coach@example.com", team="T2"))
        async with db.transaction() as s:
            world = await make_world(s)
            s.add_all(
                [
                    SlackWorkspace(organisation_id=world.org.id, team_id="T1", name="One"),
                    SlackWorkspace(organisation_id=world.org.id, team_id="T2", name="Two"),
                    PlatformIdentity(
                        person_id=world.coach.id,
                        platform="slack",
                        tenant_key="T2",
                        external_id="U2",
                        created_at=T0,
                    ),
                ]
            )
            if leader_known:
                s.add(
                    PlatformIdentity(
                        person_id=world.leader.id,
                        platform="slack",
                        tenant_key="T1",
                        external_id="U1",
                        created_at=T0,
                    )
                )
        tokens = WorkspaceTokens(db, default_token=SecretStr(T1_TOKEN))
        await tokens.save_installation(team_id="T2", bot_token=T2_TOKEN, now=T0, team_name="Two")
        sender = SlackSender(tokens, api_url=mock.api_url, clock=lambda: T0)
        yield Env(db, world, mock, tokens, sender, dispatcher(db, sender))


def texts(mock: MockSlack, method: str = "chat.postMessage", channel: str = "") -> list[str]:
    """The text of each carried-out call of `method` (to one channel)."""
    calls = mock.succeeded(method)
    return [str(c.args["text"]) for c in calls if not channel or c.args["channel"] == channel]


async def test_dm_opened_once_posted_without_unfurl_and_cached(db: Database) -> None:
    async with slack_env(db) as env:
        leader = env.world.leader
        await env.queue(leader, Message(text="one"))
        await env.queue(leader, Message(text="two"))
        assert (await env.run()).sent == 2
        assert len(env.mock.called("conversations.open")) == 1
        posts = env.mock.succeeded("chat.postMessage")
        assert [p.args["text"] for p in posts] == ["one", "two"]
        assert all(p.args["channel"] == "DU1" and p.team == "T1" for p in posts)
        assert all(p.args["unfurl_links"] is False for p in posts)
        assert all(p.args["unfurl_media"] is False for p in posts)
        ident = await env.identity(leader)
        assert ident is not None and ident.dm_channel_id == "DU1"
        rows = await env.rows()
        assert [r.platform_ref for r in rows] == ["DU1:1700000000.000001", "DU1:1700000000.000002"]
        env.fresh_sender()  # a new process: the stored DM channel is used, not opened again
        await env.queue(leader, Message(text="three"))
        await env.run(T0 + timedelta(minutes=1))
        assert len(env.mock.called("conversations.open")) == 1
        assert texts(env.mock, channel="DU1") == ["one", "two", "three"]


async def test_a_replacing_message_updates_the_earlier_one_in_place(db: Database) -> None:
    async with slack_env(db) as env:
        await env.queue(env.world.leader, Message(text="Pick a time"), dedupe_key="ask-1")
        await env.run()
        first = (await env.rows())[0].platform_ref
        assert first is not None and first.startswith("DU1:")
        await env.queue(env.world.leader, Message(text="Booked", replaces="ask-1"))
        assert (await env.run(T0 + timedelta(seconds=5))).sent == 1
        update = env.mock.succeeded("chat.update")
        assert len(update) == 1 and update[0].args["text"] == "Booked"
        assert f"{update[0].args['channel']}:{update[0].args['ts']}" == first
        assert texts(env.mock) == ["Pick a time"]  # no second post
        assert (await env.rows())[1].platform_ref == first


async def test_a_person_known_by_email_only_is_looked_up_and_remembered(db: Database) -> None:
    async with slack_env(db, leader_known=False) as env:
        leader = env.world.leader
        await env.queue(leader, Message(text="hello"))
        await env.queue(leader, Message(text="again"))
        assert (await env.rows())[0].bucket == "slack:T1"  # the organisation's first workspace
        assert (await env.run()).sent == 2
        assert len(env.mock.called("users.lookupByEmail")) == 1
        ident = await env.identity(leader)
        assert ident is not None
        assert (ident.external_id, ident.tenant_key, ident.dm_channel_id) == ("U1", "T1", "DU1")
        env.fresh_sender()
        await env.queue(leader, Message(text="third"))
        await env.run(T0 + timedelta(minutes=1))
        assert len(env.mock.called("users.lookupByEmail")) == 1
        assert texts(env.mock, channel="DU1") == ["hello", "again", "third"]


async def test_home_rows_publish_the_app_home(db: Database) -> None:
    async with slack_env(db) as env:
        sections = [
            Message(text="Your goals").to_payload(),
            Message(text="Next session").to_payload(),
        ]
        async with db.transaction() as s:
            await enqueue_task(
                db=s,
                person_id=env.world.leader.id,
                channel="slack",
                bucket="slack:T1",
                kind="home",
                data={"sections": sections},
                now=T0,
            )
        assert (await env.run()).sent == 1
        published = env.mock.succeeded("views.publish")
        assert len(published) == 1 and published[0].args["user_id"] == "U1"
        view = published[0].args["view"]
        assert view["type"] == "home" and "Next session" in str(view["blocks"])
        assert not env.mock.called("chat.postMessage")
        assert not env.mock.called("conversations.open")


async def test_an_invite_is_uploaded_to_the_dm_after_the_message(db: Database) -> None:
    async with slack_env(db) as env:
        invite = Attachment(filename="session.ics", media_type="text/calendar", content=ICS)
        await env.queue(env.world.leader, Message(text="Booked", attachments=(invite,)))
        assert (await env.run()).sent == 1
        assert texts(env.mock) == ["Booked"]
        done = env.mock.succeeded("files.completeUploadExternal")
        assert len(done) == 1 and done[0].args["channel_id"] == "DU1"
        assert list(env.mock.uploads.values()) == [ICS.encode()]
        methods = [c.method for c in env.mock.calls]
        assert methods.index("chat.postMessage") < methods.index("files.getUploadURLExternal")


async def test_a_failed_upload_is_retried_without_posting_the_message_again(db: Database) -> None:
    async with slack_env(db) as env:
        env.mock.fail("files.completeUploadExternal", Fault(status=500))
        invite = Attachment(filename="session.ics", media_type="text/calendar", content=ICS)
        await env.queue(env.world.leader, Message(text="Booked", attachments=(invite,)))
        assert (await env.run()).retrying == 1
        assert (await env.rows())[0].last_error == "Slack answered 500"
        assert (await env.run(T0 + timedelta(hours=2))).sent == 1
        assert texts(env.mock) == ["Booked"]
        assert len(env.mock.succeeded("files.completeUploadExternal")) == 1
        row = (await env.rows())[0]
        assert row.status == "sent" and row.platform_ref and row.platform_ref.startswith("DU1:")
