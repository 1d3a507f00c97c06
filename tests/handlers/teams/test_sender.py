"""The Teams sender through the real dispatcher, msal and SDK client, against local stand-ins."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.delivery.report import DispatchReport
from bot.dispatcher import Dispatcher
from bot.outbox import enqueue
from bot.ratelimit import UNLIMITED
from bot.ui import Message
from handlers.teams.connector import service_url_allowed, stored_service_url
from handlers.teams.sender import Render, TeamsSender
from handlers.teams.tokens import BOT_SCOPE, BotTokens
from prompts import Copy
from storage.db import Database
from storage.models import OutboxMessage, Person, PlatformIdentity
from tests.factories import T0, World, make_world
from tests.handlers.graph.fakes import CLIENT_ID, SECRET, TENANT, Authority, make_tls, running
from tests.handlers.teams.connector_fake import ConnectorFake, connector_fake

TEN_A, TEN_B = "tenant-a", "tenant-b"
CARD = "application/vnd.microsoft.card.adaptive"


def stand_in_cards(message: Message, *, copy: Copy) -> list[dict[str, Any]]:
    """A private stand-in for cards.message_activities: one card per paragraph."""
    return [
        {"type": "message", "attachments": [{"contentType": CARD, "content": {"text": part}}]}
        for part in message.text.split("\n\n")
    ]


def texts(activities: list[dict[str, Any]]) -> list[str]:
    """The text of each stand-in card."""
    return [str(a["attachments"][0]["content"]["text"]) for a in activities]


@dataclass
class Env:
    """Leader (tenant A, stored ref) and coach (tenant B, stored ref); the stand-ins; the sender."""

    db: Database
    world: World
    authority: Authority
    fake: ConnectorFake
    tokens: BotTokens
    sender: TeamsSender
    dispatcher: Dispatcher
    convs: dict[str, str]
    render: Render

    async def queue(self, person: Person, message: Message, **kw: Any) -> int:
        """Queue a message for `person`, routed as the core routes it."""
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

    async def identity(self, person: Person) -> PlatformIdentity:
        async with self.db.reading() as s:
            found = await s.scalar(
                select(PlatformIdentity).where(
                    PlatformIdentity.person_id == person.id, PlatformIdentity.platform == "teams"
                )
            )
        assert found is not None
        return found

    async def fresh_sender(self, allowed: list[str] | None = None) -> TeamsSender:
        """A new process's sender and dispatcher (nothing remembered in memory)."""
        await self.sender.close()
        self.sender = TeamsSender(
            self.tokens,
            allowed_service_urls=allowed or [self.fake.service_url],
            clock=lambda: T0,
            service_url_for=stored_service_url(self.db),
            render=self.render,
        )
        self.dispatcher = dispatcher(self.db, self.sender)
        return self.sender


def dispatcher(db: Database, sender: TeamsSender) -> Dispatcher:
    """The real dispatcher, unpaced, with a fixed clock and seeded jitter."""
    return Dispatcher(
        database=db,
        senders={"teams": sender},
        clock=lambda: T0,
        rates={"teams": UNLIMITED},
        rng=random.Random(3),
        max_attempts=4,
    )


def identity(person: Person, tenant: str, aad: str, ref: dict[str, Any] | None) -> PlatformIdentity:
    """A Teams identity row as the edge stores it."""
    return PlatformIdentity(
        person_id=person.id,
        platform="teams",
        tenant_key=tenant,
        external_id=aad,
        conversation_ref=ref,
        created_at=T0,
    )


@asynccontextmanager
async def teams_env(
    db: Database, tmp: Path, *, coach_ref: bool = True, render: Render = stand_in_cards
) -> AsyncIterator[Env]:
    """The HTTPS token authority, the connector stand-in, a world with Teams identities."""
    tls = make_tls(tmp)
    authority = Authority()
    async with (
        running(authority.app(), tls.server) as a_url,
        connector_fake(accept=lambda t: t in authority.issued) as fake,
    ):
        authority.base = a_url
        convs = {
            "leader": fake.open_conversation("29:leader", tenant=TEN_A, aad_object_id="aad-leader"),
        }
        coach_tenant = TEN_B if coach_ref else TEN_A
        fake.add_member("29:coach", aad_object_id="aad-coach", tenant=coach_tenant)
        if coach_ref:
            convs["coach"] = fake.open_conversation("29:coach", tenant=TEN_B)
        async with db.transaction() as s:
            world = await make_world(s)
            s.add(identity(world.leader, TEN_A, "aad-leader", fake.reference(convs["leader"])))
            ref = fake.reference(convs["coach"]) if coach_ref else None
            s.add(identity(world.coach, coach_tenant, "aad-coach", ref))
        tokens = BotTokens(
            app_id=CLIENT_ID,
            password=SECRET,
            tenant_id=TENANT,
            authority=f"{a_url}/{{tenant}}",
            ca_bundle=tls.ca_file,
        )
        sender = TeamsSender(
            tokens,
            allowed_service_urls=[fake.service_url],
            clock=lambda: T0,
            service_url_for=stored_service_url(db),
            render=render,
        )
        env = Env(db, world, authority, fake, tokens, sender, dispatcher(db, sender), convs, render)
        try:
            yield env
        finally:
            await env.sender.close()


async def test_a_message_reaches_the_stored_conversation_with_the_app_token(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        await env.queue(env.world.leader, Message(text="Hello"))
        await env.queue(env.world.leader, Message(text="Again"))
        report = await env.run()
        assert (report.sent, report.dead, report.retrying) == (2, 0, 0)
        conv = env.convs["leader"]
        posted = env.fake.activities(conv)
        assert texts(posted) == ["Hello", "Again"]
        first = posted[0]
        assert first["from"]["id"] == "28:bot-app" and first["recipient"]["id"] == "29:leader"
        assert (
            first["conversation"]["id"] == conv and first["attachments"][0]["contentType"] == CARD
        )
        assert {c.authorization for c in env.fake.calls} == {"Bearer tok-1"}
        assert env.authority.token_requests == 1 and env.authority.scopes == [BOT_SCOPE]
        rows = await env.rows()
        assert [r.status for r in rows] == ["sent", "sent"]
        assert rows[0].platform_ref == f"{conv}:{first['id']}"
        assert rows[0].bucket == f"teams:{TEN_A}"


async def test_a_replaced_message_is_updated_in_place(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        await env.queue(env.world.leader, Message(text="Pick a slot"), dedupe_key="offer-1")
        await env.run()
        await env.queue(env.world.leader, Message(text="Booked", replaces="offer-1"))
        report = await env.run()
        assert report.sent == 1
        posted = env.fake.activities(env.convs["leader"])
        assert texts(posted) == ["Booked"]
        (put,) = env.fake.requests("update")
        assert put.activity_id == posted[0]["id"] and put.status == 200
        rows = await env.rows()
        assert rows[1].platform_ref == rows[0].platform_ref


async def test_a_replaced_message_that_is_gone_is_posted_anew(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        await env.queue(env.world.leader, Message(text="Pick a slot"), dedupe_key="offer-1")
        await env.run()
        env.fake.conversations[env.convs["leader"]].activities.clear()
        await env.queue(env.world.leader, Message(text="Booked", replaces="offer-1"))
        assert (await env.run()).sent == 1
        assert texts(env.fake.activities(env.convs["leader"])) == ["Booked"]


async def test_proactive_creates_the_conversation_and_later_rows_reuse_it(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path, coach_ref=False) as env:
        await env.queue(env.world.coach, Message(text="Your week"))
        assert (await env.run()).sent == 1
        (create,) = env.fake.requests("create")
        assert create.body is not None and create.body["members"] == [{"id": "aad-coach"}]
        assert create.body["tenantId"] == TEN_A and create.body["isGroup"] is False
        stored = (await env.identity(env.world.coach)).conversation_ref
        assert stored is not None and stored["serviceUrl"] == env.fake.service_url
        conv = stored["conversation"]["id"]
        assert texts(env.fake.activities(conv)) == ["Your week"]
        await env.fresh_sender()  # a new process: only the database remembers
        await env.queue(env.world.coach, Message(text="Reminder"))
        assert (await env.run()).sent == 1
        assert len(env.fake.requests("create")) == 1
        assert texts(env.fake.activities(conv)) == ["Your week", "Reminder"]


async def test_a_disallowed_service_url_never_receives_a_token(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env, connector_fake() as rogue:
        conv = rogue.open_conversation("29:leader", tenant=TEN_A)
        async with db.transaction() as s:
            row = await s.get(PlatformIdentity, (await env.identity(env.world.leader)).id)
            assert row is not None
            row.conversation_ref = rogue.reference(conv)
        await env.queue(env.world.leader, Message(text="Hello"))
        report = await env.run()
        assert report.dead == 1 and rogue.calls == []
        assert (await env.rows())[0].last_error == "service URL not allowed"
        assert env.authority.token_requests == 0


def test_service_url_prefixes_match_scheme_host_and_path() -> None:
    allowed = [
        "https://smba.trafficmanager.net/amer/",
        "https://smba.infra.gcc.teams.microsoft.com",
    ]
    assert service_url_allowed("https://smba.trafficmanager.net/amer/", allowed)
    assert service_url_allowed("https://SMBA.trafficmanager.net/amer/x/", allowed)
    assert service_url_allowed("https://smba.infra.gcc.teams.microsoft.com/teams", allowed)
    for bad in (
        "https://smba.trafficmanager.net.evil.example/amer/",
        "https://smba.trafficmanager.net/amer.evil/",
        "https://smba.trafficmanager.net/emea/",
        "http://smba.trafficmanager.net/amer/",
        "https://user@smba.trafficmanager.net/amer/",
        "https://smba.trafficmanager.net:444/amer/",
        "",
    ):
        assert not service_url_allowed(bad, allowed), bad


async def test_the_default_renderer_is_the_cards_module(db: Database, tmp_path: Path) -> None:
    pytest.importorskip("handlers.teams.cards")
    async with teams_env(db, tmp_path) as env:
        await env.queue(env.world.leader, Message(text="Hello from the cards"))
        await env.sender.close()
        env.sender = TeamsSender(
            env.tokens, allowed_service_urls=[env.fake.service_url], clock=lambda: T0
        )
        assert (await dispatcher(db, env.sender).dispatch_due(now=T0)).sent == 1
        posted = env.fake.activities(env.convs["leader"])
        assert posted and posted[0]["attachments"][0]["contentType"] == CARD
