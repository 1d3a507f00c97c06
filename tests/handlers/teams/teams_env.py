"""The real `serve` app in Teams mode for tests: issuer-signed activities in, a connector out.

Three local stand-ins: the OpenID issuer (tests/handlers/teams/issuer.py) signs the inbound
tokens, an HTTPS token authority (msal asks it for the outbound token, trusted through
REQUESTS_CA_BUNDLE and a trustme CA) and the Bot Connector (connector_fake.py) that receives
what the bot posts. Clicks and form submits are built from the cards the bot actually sent.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import func, make_url, select

from app import Runtime, build_runtime, build_web_app
from bot.settings import Settings
from storage.db import Database
from storage.models import InboundEvent, OutboxMessage, PlatformIdentity, TeamsTenant
from tests.factories import World, make_world
from tests.handlers.graph.fakes import make_tls, running
from tests.handlers.teams.connector_fake import ConnectorFake, connector_fake
from tests.handlers.teams.issuer import APP_ID, TENANT_ID, LocalIssuer, running_issuer

APP_PASSWORD = "teams-app-password-not-real"
RUNTIME_SECRET = "teams-tests-secret-" * 3
"""The app's own encryption secret (rows it encrypts are read back through the app)."""
CARD = "application/vnd.microsoft.card.adaptive"

Json = dict[str, Any]
Client = TestClient[web.Request, web.Application]


@dataclass
class TokenAuthority:
    """An Entra-like token authority for our app id: discovery + client credentials."""

    tenant: str = TENANT_ID
    base: str = ""
    token_requests: int = 0
    issued: set[str] = field(default_factory=set)
    _next: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        """The aiohttp application of the authority."""
        app = web.Application()
        app.router.add_get(f"/{self.tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post(f"/{self.tenant}/oauth2/v2.0/token", self._token)
        return app

    async def _discovery(self, request: web.Request) -> web.Response:
        """The OpenID configuration msal reads first."""
        root = f"{self.base}/{self.tenant}"
        return web.json_response(
            {
                "issuer": f"{root}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "token_endpoint": f"{root}/oauth2/v2.0/token",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        """A token for our app id and password (client credentials), else 401."""
        self.token_requests += 1
        form = await request.post()
        ok = (form.get("client_id"), form.get("client_secret")) == (APP_ID, APP_PASSWORD)
        if form.get("grant_type") != "client_credentials" or not ok:
            return web.json_response({"error": "invalid_client"}, status=401)
        token = f"bot-token-{next(self._next)}"
        self.issued.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": token}
        )


@dataclass
class TeamsUser:
    """A Teams user in a 1:1 chat with the bot: ids, name and the conversation id."""

    id: str
    aad: str
    name: str
    conversation: str


@dataclass
class TeamsEnv:
    """The app under test, its runtime, the stand-ins and an HTTP client to the app."""

    issuer: LocalIssuer
    authority: TokenAuthority
    fake: ConnectorFake
    settings: Settings
    rt: Runtime
    client: Client
    world: World | None = None

    def user(self, key: str, *, email: str = "", name: str = "") -> TeamsUser:
        """A Teams user known to the connector (their profile email) with an open 1:1 chat."""
        user_id, aad = f"29:{key}", f"aad-{key}"
        self.fake.add_member(user_id, aad_object_id=aad, tenant=TENANT_ID, name=name, email=email)
        conversation = self.fake.open_conversation(user_id, tenant=TENANT_ID)
        return TeamsUser(user_id, aad, name or key, conversation)

    def activity(
        self, user: TeamsUser, *, text: str | None = None, value: Json | None = None
    ) -> Json:
        """A message activity as Teams posts it to the bot (typed text or a card's submit)."""
        now = datetime.now(UTC)
        body: Json = {
            "type": "message",
            "id": f"1{uuid.uuid4().int % 10**15:015d}",
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "localTimestamp": now.isoformat(),
            "serviceUrl": self.fake.service_url,
            "channelId": "msteams",
            "from": {"id": user.id, "aadObjectId": user.aad, "name": user.name},
            "conversation": {
                "id": user.conversation,
                "conversationType": "personal",
                "tenantId": TENANT_ID,
            },
            "recipient": {"id": f"28:{APP_ID}", "name": "Coach Companion"},
            "channelData": {"tenant": {"id": TENANT_ID}},
            "locale": "en-US",
            "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US"}],
        }
        if value is None:
            body |= {"text": text or "", "textFormat": "plain"}
        else:
            body |= {"value": value, "replyToId": self.last_id(user)}
            body["channelData"]["source"] = {"name": "message"}
        return body

    def install_activity(self, user: TeamsUser) -> Json:
        """conversationUpdate with the bot in membersAdded: the app added to a personal chat."""
        body = self.activity(user, text="")
        for key in ("text", "textFormat", "locale", "entities", "localTimestamp"):
            body.pop(key, None)
        return body | {"type": "conversationUpdate", "membersAdded": [{"id": f"28:{APP_ID}"}]}

    async def post(self, activity: Json, authorization: str | None = None) -> Any:
        """POST an activity to /api/messages with a good token for it (or `authorization`)."""
        header = authorization if authorization is not None else self.issuer.header(activity)
        headers = {"Authorization": header, "Content-Type": "application/json"}
        return await self.client.post("/api/messages", json=activity, headers=headers)

    async def send(self, activity: Json) -> None:
        """Post an activity (200 expected), then let the deliveries it started finish."""
        response = await self.post(activity)
        assert response.status == 200, await response.text()
        await self.settle()

    async def say(self, user: TeamsUser, text: str) -> None:
        """`user` types `text` to the bot."""
        await self.send(self.activity(user, text=text))

    async def click(self, user: TeamsUser, action_id: str, choice: str | None = None) -> None:
        """`user` clicks `action_id` in the newest card offering it (a choice list: picks)."""
        card = self.last_card_with(user, action_id=action_id)
        await self.send(self.activity(user, value=click_value(card, action_id, choice)))

    async def fill(self, user: TeamsUser, form_id: str, answers: dict[str, str]) -> None:
        """`user` submits the newest `form_id` card with `answers` (others as the card has them)."""
        card = self.last_card_with(user, form_id=form_id)
        await self.send(self.activity(user, value=form_value(card, form_id, answers)))

    async def settle(self) -> None:
        """Let the work after the 200s finish, then deliver everything due."""
        assert self.rt.teams is not None
        await self.rt.teams.settle()
        await self.rt.dispatcher.dispatch_due(now=self.rt.clock.now())

    def received(self, user: TeamsUser) -> list[Json]:
        """The activities the bot posted into `user`'s chat, oldest first."""
        return self.fake.activities(user.conversation)

    def texts(self, user: TeamsUser) -> list[str]:
        """Every TextBlock and fact of every card the bot posted to `user`, one string a card."""
        return [card_words(card) for card in cards_of(self.received(user))]

    def last_id(self, user: TeamsUser) -> str | None:
        """The id of the newest activity in `user`'s chat."""
        posted = self.received(user)
        return str(posted[-1]["id"]) if posted else None

    def last_card_with(self, user: TeamsUser, *, action_id: str = "", form_id: str = "") -> Json:
        """The newest card in `user`'s chat with a submit of `action_id` (or of `form_id`)."""
        for card in reversed(cards_of(self.received(user))):
            for data in submit_data(card):
                if (action_id and data.get("a") == action_id) or (
                    form_id and data.get("f") == form_id
                ):
                    return card
        raise AssertionError(f"no card offers {action_id or form_id}: {self.texts(user)}")

    async def count(self, model: type[Any]) -> int:
        """How many rows of `model` the app's database holds."""
        async with self.rt.database.reading() as s:
            return int(await s.scalar(select(func.count()).select_from(model)) or 0)

    async def footprint(self) -> tuple[int, int, int]:
        """(inbound events, identities, outbox rows): what any request may have written."""
        return (
            await self.count(InboundEvent),
            await self.count(PlatformIdentity),
            await self.count(OutboxMessage),
        )


def cards_of(activities: list[Json]) -> list[Json]:
    """The Adaptive Cards of posted activities, in order."""
    return [
        a["content"]
        for activity in activities
        for a in activity.get("attachments") or []
        if a.get("contentType") == CARD
    ]


def elements(node: Any) -> Iterator[Json]:
    """Every element and action of a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from elements(item)


def submit_data(card: Json) -> list[Json]:
    """The data of every Action.Submit in a card."""
    return [dict(e.get("data") or {}) for e in elements(card) if e.get("type") == "Action.Submit"]


def inputs(card: Json) -> dict[str, Json]:
    """The card's inputs by id."""
    return {str(e["id"]): e for e in elements(card) if str(e.get("type", "")).startswith("Input.")}


def card_words(card: Json) -> str:
    """The words a person reads on a card: text blocks and facts, one per line."""
    words = [str(e.get("text", "")) for e in elements(card) if e.get("type") == "TextBlock"]
    words += [f"{f['title']}: {f['value']}" for e in elements(card) for f in e.get("facts") or []]
    return "\n".join(words)


def click_value(card: Json, action_id: str, choice: str | None = None) -> Json:
    """What Teams posts as `value` for a click: the button's data, plus the choice list's "v"."""
    data = next(d for d in submit_data(card) if d.get("a") == action_id)
    if "v" not in data:  # a choice list's submit: the Input.ChoiceSet "v" goes with it
        options = [str(c["value"]) for c in inputs(card)["v"]["choices"]]
        assert choice is None or choice in options, f"{choice!r} not in {options}"
        data["v"] = choice or options[0]
    return data


def form_value(card: Json, form_id: str, answers: dict[str, str]) -> Json:
    """What Teams posts for a form submit: its data plus every input's value."""
    data = next(d for d in submit_data(card) if d.get("f") == form_id)
    values = {name: str(e.get("value", "")) for name, e in inputs(card).items()}
    unknown = set(answers) - set(values)
    assert not unknown, f"the card has no inputs {unknown}: {sorted(values)}"
    return data | {k: v for k, v in (values | answers).items() if v != ""}


def settings_for(
    db: Database, issuer: LocalIssuer, authority: TokenAuthority, fake: ConnectorFake, **extra: Any
) -> Settings:
    """Production-mode Teams settings on the test database, pointed at the stand-ins."""
    url = make_url(db.url).set(drivername=make_url(db.url).get_backend_name())
    values: dict[str, Any] = {
        "database_url": url.render_as_string(hide_password=False),
        "secret_key": SecretStr(RUNTIME_SECRET),
        "teams_app_id": APP_ID,
        "teams_app_password": SecretStr(APP_PASSWORD),
        "teams_tenant_id": TENANT_ID,
        "teams_authority": f"{authority.base}/{{tenant}}",
        "teams_openid_metadata_url": issuer.metadata_url,
        "teams_allowed_service_urls": fake.service_url,
    }
    return Settings(_env_file=None, **(values | extra))


@contextmanager
def trusting(ca_file: Path) -> Iterator[None]:
    """REQUESTS_CA_BUNDLE set to the test CA for the block (msal honours it), then restored."""
    before = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(ca_file)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = before


async def start(settings: Settings) -> tuple[Runtime, Client]:
    """A runtime built from settings and the real web app served on 127.0.0.1."""
    rt = build_runtime(settings)
    client: Client = TestClient(TestServer(build_web_app(rt, None), host="127.0.0.1", port=0))
    await client.start_server()
    return rt, client


async def stop(rt: Runtime, client: Client) -> None:
    """Finish the background work, close the server, the sender and the database."""
    if rt.teams is not None:
        await rt.teams.close()
    sender = rt.dispatcher.senders.get("teams")
    close = getattr(sender, "close", None)
    if close is not None:
        await close()
    await client.close()
    await rt.database.dispose()


@asynccontextmanager
async def teams_env(db: Database, tmp: Path, **extra: Any) -> AsyncIterator[TeamsEnv]:
    """Serve the app on an ephemeral 127.0.0.1 port in Teams mode over the test database."""
    tls = make_tls(tmp)
    authority = TokenAuthority()
    with trusting(tls.ca_file):
        async with (
            running_issuer() as issuer,
            running(authority.app(), tls.server) as authority_url,
            connector_fake(accept=lambda t: t in authority.issued) as fake,
        ):
            authority.base = authority_url
            settings = settings_for(db, issuer, authority, fake, **extra)
            rt, client = await start(settings)
            env = TeamsEnv(issuer, authority, fake, settings, rt, client)
            try:
                yield env
            finally:
                await stop(env.rt, env.client)


async def enrolled_world(env: TeamsEnv) -> World:
    """The factories' world, its organisation installed in our tenant (via the app's keyring)."""
    async with env.rt.database.transaction() as s:
        w = await make_world(s)
        s.add(TeamsTenant(organisation_id=w.org.id, tenant_id=TENANT_ID, name="Acme"))
    env.world = w
    return w
