"""A local stand-in for the Bot Connector service: a real aiohttp server on 127.0.0.1.

Under a service-URL path prefix (default "/amer/", as Teams' have): POST v3/conversations
(create or find a 1:1 conversation), POST .../{id}/activities, PUT .../{id}/activities/{aid},
GET .../{id}/members/{userId}. Every request is recorded (`calls`) with its Authorization header
and its answer's status. Tokens are checked with `accept` (e.g. `lambda t: t in
authority.issued`); users in `not_installed` get 403 (create: "Forbidden"; sends:
"BotNotInConversationRoster"). `fault(...)` scripts errors, globally or per conversation/route.

    async with connector_fake(accept=lambda t: t in authority.issued) as fake:
        conv = fake.open_conversation("29:u1", tenant="t1", aad_object_id="aad-1")
        ref = fake.reference(conv)   # what the edge stores for that person
        fake.fault(429, retry_after="3", conversation=conv)  # ... then: fake.activities(conv)
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.handlers.graph.fakes import running

ROUTES = ("create", "send", "update", "member")
BOT_ID = "28:bot-app"


@dataclass
class Call:
    """One request the stand-in received, and the status it answered."""

    route: str
    method: str
    conversation_id: str | None
    activity_id: str | None
    authorization: str
    body: dict[str, Any] | None
    status: int = 0


@dataclass
class Fault:
    """A scripted error answer (status, code, Retry-After), `times` times after `skip` passes."""

    status: int
    code: str = ""
    retry_after: str | None = None
    conversation: str | None = None
    route: str | None = None
    times: int = 1
    skip: int = 0


@dataclass
class Member:
    """A Teams user the stand-in knows (what GET members/{id} returns)."""

    id: str
    aad_object_id: str
    tenant_id: str
    name: str = ""
    email: str = ""

    def profile(self) -> dict[str, Any]:
        """The member as the connector returns it (TeamsChannelAccount)."""
        keys = ("id", "aadObjectId", "name", "email", "userPrincipalName", "tenantId")
        values = (self.id, self.aad_object_id, self.name, self.email, self.email, self.tenant_id)
        return dict(zip(keys, values, strict=True))


@dataclass
class Conversation:
    """A 1:1 conversation between the bot and one member, with its activities in order."""

    id: str
    tenant_id: str
    member: Member
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)


DEFAULT_CODES = {401: "Unauthorized", 412: "PreconditionFailed", 429: "TooManyRequests"}


class ConnectorFake:
    """The stand-in's state: members, conversations, the call log, scripted faults."""

    def __init__(
        self, *, prefix: str = "/amer/", accept: Callable[[str], bool] | None = None
    ) -> None:
        self.prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        self.accept = accept or (lambda token: bool(token))
        self.base = ""
        self.calls: list[Call] = []
        self.members: dict[str, Member] = {}
        self.conversations: dict[str, Conversation] = {}
        self.not_installed: set[str] = set()
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)

    @property
    def service_url(self) -> str:
        """The serviceUrl activities from this stand-in carry (with a trailing slash)."""
        return f"{self.base}{self.prefix}"

    def add_member(
        self, user_id: str, *, aad_object_id: str, tenant: str, name: str = "", email: str = ""
    ) -> Member:
        """Make a Teams user known (by "29:..." id and by AAD object id)."""
        member = Member(user_id, aad_object_id, tenant, name, email)
        self.members[user_id] = self.members[aad_object_id] = member
        return member

    def open_conversation(self, user_id: str, *, tenant: str, aad_object_id: str = "") -> str:
        """The 1:1 conversation with a user, created as on their first contact; its id."""
        member = self.members.get(user_id) or self.add_member(
            user_id, aad_object_id=aad_object_id or f"aad-{user_id}", tenant=tenant
        )
        for conversation in self.conversations.values():
            if conversation.member is member and conversation.tenant_id == tenant:
                return conversation.id
        conversation_id = f"a:1conv-{next(self._ids)}"
        self.conversations[conversation_id] = Conversation(conversation_id, tenant, member)
        return conversation_id

    def reference(self, conversation_id: str) -> dict[str, Any]:
        """The conversation reference JSON an edge stores for that conversation's member."""
        conv = self.conversations[conversation_id]
        member = {"id": conv.member.id, "aadObjectId": conv.member.aad_object_id}
        where = {"id": conv.id, "tenantId": conv.tenant_id, "conversationType": "personal"}
        fixed = {"channelId": "msteams", "serviceUrl": self.service_url, "bot": {"id": BOT_ID}}
        return {**fixed, "conversation": where, "user": member}

    def _both_ids(self, user_id: str) -> set[str]:
        member = self.members.get(user_id)
        return {user_id, member.id, member.aad_object_id} if member else {user_id}

    def uninstall(self, user_id: str) -> None:
        """The app is not installed for this user (by either id): 403 from now on."""
        self.not_installed |= self._both_ids(user_id)

    def install(self, user_id: str) -> None:
        """The app is installed for this user again."""
        self.not_installed -= self._both_ids(user_id)

    def fault(
        self,
        status: int,
        *,
        times: int = 1,
        conversation: str | None = None,
        route: str | None = None,
        retry_after: str | None = None,
        code: str = "",
        skip: int = 0,
    ) -> None:
        """Answer `times` matching requests with `status`, after letting `skip` through."""
        if route is not None and route not in ROUTES:
            raise ValueError(f"unknown route {route!r}: one of {ROUTES}")
        self.faults.append(Fault(status, code, retry_after, conversation, route, times, skip))

    def activities(self, conversation_id: str) -> list[dict[str, Any]]:
        """The activities now in a conversation, in the order they were first posted."""
        conversation = self.conversations.get(conversation_id)
        return list(conversation.activities.values()) if conversation else []

    def requests(self, route: str | None = None) -> list[Call]:
        """Recorded calls, all or of one route."""
        return [c for c in self.calls if route is None or c.route == route]

    def app(self) -> web.Application:
        """The aiohttp application serving the connector routes under the prefix."""
        app = web.Application()
        base = f"{self.prefix}v3/conversations"
        app.router.add_post(base, self._create)
        app.router.add_post(base + "/{conversation}/activities", self._send)
        app.router.add_put(base + "/{conversation}/activities/{activity}", self._update)
        app.router.add_get(base + "/{conversation}/members/{user}", self._member)
        return app

    async def _gate(self, route: str, request: web.Request) -> tuple[Call, web.Response | None]:
        """Record the call; 401 for a bad token, else a scripted fault, else None."""
        body = await request.json() if request.can_read_body else None
        call = Call(
            route=route,
            method=request.method,
            conversation_id=request.match_info.get("conversation"),
            activity_id=request.match_info.get("activity"),
            authorization=request.headers.get("Authorization", ""),
            body=body if isinstance(body, dict) else None,
        )
        self.calls.append(call)
        auth = call.authorization
        if not auth.startswith("Bearer ") or not self.accept(auth[7:]):
            return call, _answer(call, 401, "Unauthorized")
        for fault in self.faults:
            if fault.times < 1 or fault.route not in (None, route):
                continue
            if fault.conversation not in (None, call.conversation_id):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                break
            fault.times -= 1
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            code = fault.code or DEFAULT_CODES.get(fault.status, "ServiceError")
            return call, _answer(call, fault.status, code, headers)
        return call, None

    async def _create(self, request: web.Request) -> web.Response:
        call, early = await self._gate("create", request)
        if early is not None:
            return early
        body = call.body or {}
        members = body.get("members") or []
        user_id = str(members[0].get("id", "")) if members and isinstance(members[0], dict) else ""
        tenant = str(body.get("tenantId") or "")
        if not user_id or body.get("isGroup") or not tenant:
            return _answer(call, 400, "BadArgument")
        if user_id in self.not_installed:
            return _answer(call, 403, "Forbidden")
        member = self.members.get(user_id)
        if member is None or member.tenant_id != tenant:
            return _answer(call, 404, "MemberNotFound")
        conversation_id = self.open_conversation(member.id, tenant=tenant)
        return _answer(call, 201, body={"id": conversation_id})

    async def _conversation(self, call: Call) -> Conversation | web.Response:
        conversation = self.conversations.get(call.conversation_id or "")
        if conversation is None:
            return _answer(call, 404, "ConversationNotFound")
        member = conversation.member
        if self.not_installed & {member.id, member.aad_object_id}:
            return _answer(call, 403, "BotNotInConversationRoster")
        return conversation

    async def _send(self, request: web.Request) -> web.Response:
        call, early = await self._gate("send", request)
        if early is not None:
            return early
        found = await self._conversation(call)
        if isinstance(found, web.Response):
            return found
        activity_id = f"{1700000000000 + next(self._ids)}"
        found.activities[activity_id] = {**(call.body or {}), "id": activity_id}
        return _answer(call, 201, body={"id": activity_id})

    async def _update(self, request: web.Request) -> web.Response:
        call, early = await self._gate("update", request)
        if early is not None:
            return early
        found = await self._conversation(call)
        if isinstance(found, web.Response):
            return found
        activity_id = call.activity_id or ""
        if activity_id not in found.activities:
            return _answer(call, 404, "ActivityNotFound")
        found.activities[activity_id] = {**(call.body or {}), "id": activity_id}
        return _answer(call, 200, body={"id": activity_id})

    async def _member(self, request: web.Request) -> web.Response:
        call, early = await self._gate("member", request)
        if early is not None:
            return early
        found = await self._conversation(call)
        if isinstance(found, web.Response):
            return found
        member = self.members.get(request.match_info["user"])
        if member is None or member.tenant_id != found.tenant_id:
            return _answer(call, 404, "MemberNotFound")
        return _answer(call, 200, body=member.profile())


def _answer(
    call: Call,
    status: int,
    code: str = "",
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> web.Response:
    call.status = status
    if body is None:
        body = {"error": {"code": code, "message": f"stand-in: {code}"}}
    return web.json_response(body, status=status, headers=headers)


@asynccontextmanager
async def connector_fake(
    *, prefix: str = "/amer/", accept: Callable[[str], bool] | None = None
) -> AsyncIterator[ConnectorFake]:
    """Run a stand-in on 127.0.0.1:<ephemeral> (plain HTTP); yields it with `base` set."""
    fake = ConnectorFake(prefix=prefix, accept=accept)
    async with running(fake.app()) as base:
        fake.base = base
        yield fake
