"""A thin wrapper over the SDK's ConnectorClient: allowed service URLs only, typed errors.

The SDK client puts the bearer token on its aiohttp session, so there is one client per
(service URL, token), all sharing one connection pool; a client is closed once it falls out of
a small LRU (tokens last an hour, so an evicted client is long idle). The SDK does not retry
and does not handle 429: every non-2xx answer comes back here as a ConnectorError with the
status, the Bot Framework error code and Retry-After, for the sender to map. Bodies of
activities are never logged.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from microsoft_agents.activity import Activity, ConversationParameters, ConversationReference
from microsoft_agents.hosting.core.connector.client import ConnectorClient
from pydantic import ValidationError
from sqlalchemy import select

from storage.db import Database
from storage.models import PlatformIdentity

CLIENTS = 16
DEFAULT_RETRY_AFTER = 1.0
ServiceUrlFor = Callable[[str], Awaitable[str | None]]


class ServiceUrlNotAllowed(Exception):
    """The activity's serviceUrl is not under an allowed prefix: no token may go there."""


class ConnectorError(Exception):
    """The Bot Connector answered an error status (with its code and Retry-After, if any)."""

    def __init__(self, status: int, code: str = "", retry_after: str | None = None) -> None:
        super().__init__(f"Bot Connector answered {status} {code}".strip())
        self.status = status
        self.code = code
        self.retry_after = retry_after


def _parts(url: str) -> tuple[str, str, str]:
    split = urlsplit(url.strip())
    path = split.path if split.path.endswith("/") else split.path + "/"
    return split.scheme.lower(), split.netloc.lower(), path


def service_url_allowed(service_url: str, prefixes: Sequence[str]) -> bool:
    """True when `service_url` is under one of `prefixes`: same scheme and host, path below."""
    scheme, host, path = _parts(service_url)
    if scheme not in ("https", "http") or not host or "@" in host:
        return False
    for prefix in prefixes:
        p_scheme, p_host, p_path = _parts(prefix)
        if (scheme, host) == (p_scheme, p_host) and path.startswith(p_path):
            return True
    return False


def parse_prefixes(raw: str) -> list[str]:
    """TEAMS_ALLOWED_SERVICE_URLS (comma-separated) as a list of prefixes."""
    return [part.strip() for part in raw.split(",") if part.strip()]


class Connector:
    """Calls the Bot Connector REST API at allowed service URLs with a given bearer token."""

    def __init__(self, *, allowed_service_urls: Sequence[str], timeout: float = 15.0) -> None:
        prefixes = [p for p in allowed_service_urls if p.strip()]
        if not prefixes:
            raise ValueError("no allowed service URL prefixes (TEAMS_ALLOWED_SERVICE_URLS)")
        self.allowed = prefixes
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._pool: aiohttp.TCPConnector | None = None
        self._clients: OrderedDict[tuple[str, str], ConnectorClient] = OrderedDict()

    def check(self, service_url: str) -> str:
        """The service URL with a trailing slash; ServiceUrlNotAllowed when not allowed."""
        if not service_url or not service_url_allowed(service_url, self.allowed):
            raise ServiceUrlNotAllowed("service URL not allowed")
        return service_url if service_url.endswith("/") else service_url + "/"

    async def _client(self, service_url: str, token: str) -> ConnectorClient:
        url = self.check(service_url)
        key = (url, token)
        client = self._clients.get(key)
        if client is None:
            if self._pool is None or self._pool.closed:
                self._pool = aiohttp.TCPConnector(limit=64)
            session = aiohttp.ClientSession(
                base_url=url, connector=self._pool, connector_owner=False, timeout=self._timeout
            )
            client = self._clients[key] = ConnectorClient(url, token, session=session)
            while len(self._clients) > CLIENTS:
                _, old = self._clients.popitem(last=False)
                await old.close()
        self._clients.move_to_end(key)
        return client

    async def create_conversation(
        self, service_url: str, token: str, params: ConversationParameters
    ) -> str:
        """Create (or find) a conversation; its id."""
        client = await self._client(service_url, token)
        try:
            answer = await client.conversations.create_conversation(params)
        except aiohttp.ClientResponseError as exc:
            raise _error(exc) from None
        if not answer.id:
            raise ConnectorError(502, "NoConversationId")
        return answer.id

    async def send(
        self, service_url: str, token: str, conversation_id: str, activity: Activity
    ) -> str:
        """Post an activity to a conversation; the new activity's id."""
        client = await self._client(service_url, token)
        try:
            answer = await client.conversations.send_to_conversation(conversation_id, activity)
        except aiohttp.ClientResponseError as exc:
            raise _error(exc) from None
        if not answer.id:
            raise ConnectorError(502, "NoActivityId")
        return answer.id

    async def update(
        self,
        service_url: str,
        token: str,
        conversation_id: str,
        activity_id: str,
        activity: Activity,
    ) -> None:
        """Replace an earlier activity in place."""
        client = await self._client(service_url, token)
        try:
            await client.conversations.update_activity(conversation_id, activity_id, activity)
        except aiohttp.ClientResponseError as exc:
            raise _error(exc) from None

    async def member_email(
        self, service_url: str, token: str, conversation_id: str, member_id: str
    ) -> str:
        """The member's email (or user principal name) from the conversation's roster."""
        client = await self._client(service_url, token)
        try:
            member = await client.conversations.get_conversation_member(conversation_id, member_id)
        except aiohttp.ClientResponseError as exc:
            raise _error(exc) from None
        extra = member.model_dump(by_alias=True)
        return str(extra.get("email") or extra.get("userPrincipalName") or "")

    async def close(self) -> None:
        """Close every client and the shared connection pool."""
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await client.close()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def _error(exc: aiohttp.ClientResponseError) -> ConnectorError:
    """The status, the Bot Framework error code (from the body the SDK kept) and Retry-After."""
    code = ""
    try:
        body = json.loads(exc.message)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            code = error["code"][:60]
    except ValueError:
        code = exc.message[:60] if len(exc.message) <= 60 else ""
    retry_after = exc.headers.get("Retry-After") if exc.headers else None
    return ConnectorError(exc.status, code, retry_after)


def dump_reference(ref: ConversationReference) -> dict[str, Any]:
    """A conversation reference as stored in platform_identities.conversation_ref."""
    return ref.model_dump(by_alias=True, mode="json", exclude_none=True)


def read_reference(stored: dict[str, Any] | None) -> ConversationReference | None:
    """A stored reference, if it is one we can post to (a service URL and a conversation)."""
    if not stored:
        return None
    try:
        ref = ConversationReference.model_validate(stored)
    except ValidationError:
        return None
    return ref if ref.service_url and ref.conversation.id else None


def addressed(body: dict[str, Any], ref: ConversationReference, locale: str) -> Activity:
    """An outbound activity addressed by the reference (from the bot, to the person)."""
    activity = Activity.model_validate({"type": "message", **body})
    activity = activity.apply_conversation_reference(ref)
    if locale:
        activity.locale = locale
    return activity


def retry_after_seconds(raw: str | None) -> float:
    """Retry-After in seconds (a number); 1 s when missing or unreadable."""
    try:
        value = float(raw) if raw else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return value if value > 0 else DEFAULT_RETRY_AFTER


def stored_service_url(database: Database) -> ServiceUrlFor:
    """A `service_url_for`: the serviceUrl of the latest stored Teams reference in the tenant."""

    async def lookup(tenant: str) -> str | None:
        async with database.reading() as db:
            refs = await db.scalars(
                select(PlatformIdentity.conversation_ref)
                .where(
                    PlatformIdentity.platform == "teams",
                    PlatformIdentity.tenant_key == tenant,
                    PlatformIdentity.conversation_ref.is_not(None),
                )
                .order_by(PlatformIdentity.id.desc())
                .limit(20)
            )
            for ref in refs:
                url = ref.get("serviceUrl") if isinstance(ref, dict) else None
                if isinstance(url, str) and url:
                    return url
        return None

    return lookup
