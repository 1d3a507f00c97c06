"""The outbox sender of channel "teams": Adaptive Card activities through the Bot Connector.

A person's stored conversation reference (the edge saves it on first contact) says where to
post. Without one, but with their AAD object id, the 1:1 conversation is created proactively
at the tenant's service URL (`service_url_for`, e.g. the latest one seen in that tenant) and
reported in `Sent.learned["conversation_ref"]`, so later rows, in any process, reuse it.

Errors, never raised: 429 -> RateLimited (the dispatcher holds the tenant's bucket); 412 and
5xx -> retryable; 401 -> the cached token is dropped, retryable; 403 (the app is not installed
for them) -> unreachable, recorded, not retried; a service URL outside the allowed prefixes ->
no token is sent, not retried. The tenant's pace is the dispatcher's bucket ("teams:<tenant>");
Teams' 1,800 requests per hour per conversation is guarded here, per process.

Retries never double a message: the activities of a row that already went out are remembered
per outbox row in this process (as the Slack sender does), so a retry posts only the rest.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)

from bot.ports import Delivery, Failed, RateLimited, Recipient, SendResult, Sent
from bot.ui import Message
from handlers.memo import Memo, Recent
from handlers.teams.cards import message_activities
from handlers.teams.connector import (
    Connector,
    ConnectorError,
    ServiceUrlFor,
    ServiceUrlNotAllowed,
    addressed,
    dump_reference,
    read_reference,
    retry_after_seconds,
)
from handlers.teams.tokens import TeamsTokenError
from prompts import Copy, copy_for

log = logging.getLogger(__name__)

CONVERSATION_LIMIT = 1800  # requests per hour per conversation (Teams)
HOUR = 3600.0
RETRYABLE = frozenset({408, 412, 500, 502, 503, 504})
NOT_INSTALLED = "not installed for this person"
GONE_FOR = 120.0  # seconds an in-process "unreachable" counts without the database mark


class TokenSource(Protocol):
    """Bot Connector bearer tokens (handlers.teams.tokens.BotTokens)."""

    app_id: str

    async def token(self) -> str:
        """A valid token; raises TeamsTokenError."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token."""
        ...


class Render(Protocol):
    """Message -> outbound activity dicts (handlers.teams.cards.message_activities)."""

    def __call__(self, message: Message, *, copy: Copy) -> list[dict[str, Any]]:
        """The activities of one message, each with an Adaptive Card attachment."""
        ...


@dataclass
class _Progress:
    """The refs ("conversationId:activityId") of one row's activities that reached Teams."""

    refs: list[str] = field(default_factory=list)


class TeamsSender:
    """Delivers "teams" outbox rows to people's 1:1 chats with the bot."""

    channel = "teams"

    def __init__(
        self,
        tokens: TokenSource,
        *,
        allowed_service_urls: Sequence[str],
        clock: Callable[[], datetime],
        service_url_for: ServiceUrlFor | None = None,
        bot_id: str | None = None,
        render: Render | None = None,
        timeout: float = 15.0,
        conversation_limit: int = CONVERSATION_LIMIT,
    ) -> None:
        self.tokens = tokens
        self.connector = Connector(allowed_service_urls=allowed_service_urls, timeout=timeout)
        self.clock = clock
        self.service_url_for = service_url_for
        self.bot_id = bot_id or f"28:{tokens.app_id}"
        self.render = render or message_activities
        self.conversation_limit = conversation_limit
        self._refs: Memo = Memo()  # (tenant, external id) -> created ConversationReference
        # (tenant, person id) -> reason, for rows claimed before the database mark landed; the
        # mark itself (cleared on install) stops the hot loop after that.
        self._gone = Recent(GONE_FOR, now=lambda: self.clock().timestamp())
        self._progress: Memo = Memo()  # outbox id -> _Progress
        self._recent: Memo = Memo()  # conversation id -> deque of request times

    async def close(self) -> None:
        """Close the connector's HTTP clients."""
        await self.connector.close()

    async def send(self, delivery: Delivery) -> SendResult:
        """Deliver one row; platform errors come back as Failed / RateLimited, never raised."""
        tenant = delivery.tenant or ""
        recipient = delivery.recipient
        known = recipient.unreachable_reason or self._gone.fresh((tenant, recipient.person_id))
        if known:
            return Failed(reason=known, retryable=False)
        try:
            return await self._deliver(tenant, delivery)
        except ServiceUrlNotAllowed:
            log.warning("teams %s: outbox %d: service URL not allowed", tenant, delivery.outbox_id)
            return Failed(reason="service URL not allowed", retryable=False)
        except TeamsTokenError as exc:
            log.warning("teams: no Bot Framework token: %s", exc.reason)
            return Failed(reason=f"no Bot Framework token: {exc.reason}", retryable=exc.retryable)
        except ConnectorError as exc:
            return self._connector_error(exc, tenant, delivery)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("teams %s: outbox %d: %s", tenant, delivery.outbox_id, type(exc).__name__)
            return Failed(reason=f"connection error: {type(exc).__name__}", retryable=True)

    async def _deliver(self, tenant: str, delivery: Delivery) -> SendResult:
        recipient = delivery.recipient
        learned: dict[str, Any] = {}
        stored = read_reference(recipient.conversation_ref)
        ref = stored or self._refs.get((tenant, recipient.external_id))
        if ref is None:
            found = await self._create(tenant, recipient)
            if isinstance(found, Failed):
                return found
            ref = found
        if stored is None:
            learned["conversation_ref"] = dump_reference(ref)
        first = await self._post(ref, delivery)
        return Sent(ref=first, learned=learned)

    async def _create(self, tenant: str, recipient: Recipient) -> ConversationReference | Failed:
        """Create the 1:1 conversation with someone we know only by AAD object id."""
        if not recipient.external_id or not tenant:
            reason = f"{NOT_INSTALLED}: no Teams conversation or user id known yet"
            return Failed(reason=reason, retryable=False, unreachable=True)
        url = await self.service_url_for(tenant) if self.service_url_for else None
        if not url:
            reason = "no Teams service URL known for this tenant yet"
            return Failed(reason=reason, retryable=False)
        url = self.connector.check(url)
        bot = ChannelAccount(id=self.bot_id)
        user = ChannelAccount(id=recipient.external_id, aad_object_id=recipient.external_id)
        params = ConversationParameters(
            is_group=False,
            bot=bot,
            members=[ChannelAccount(id=recipient.external_id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        conversation_id = await self.connector.create_conversation(
            url, await self.tokens.token(), params
        )
        conversation = ConversationAccount(
            id=conversation_id, tenant_id=tenant, conversation_type="personal"
        )
        ref = ConversationReference(
            channel_id="msteams", service_url=url, conversation=conversation, user=user, bot=bot
        )
        self._refs.put((tenant, recipient.external_id), ref)
        return ref

    async def _post(self, ref: ConversationReference, delivery: Delivery) -> str:
        """Post (or update in place) every activity of the message; the first one's ref."""
        url = self.connector.check(ref.service_url or "")
        conversation_id = ref.conversation.id
        bodies = self.render(delivery.message, copy=copy_for(delivery.recipient.locale))
        activities = [addressed(body, ref, delivery.recipient.locale) for body in bodies]
        if not activities:
            raise ValueError("the message rendered no activities")
        progress: _Progress = self._progress.get(delivery.outbox_id) or _Progress()
        self._progress.put(delivery.outbox_id, progress)
        old = delivery.platform_ref
        fresh = old and progress.refs[:1] in ([old], [])  # not already posted anew
        if old and fresh and (progress.refs or await self._update(url, old, activities[0])):
            progress.refs[:1] = [old]
            activities = activities[:1]  # the rest of a long replaced message stays as it was
        for activity in activities[len(progress.refs) :]:
            self._guard(conversation_id)
            activity_id = await self.connector.send(
                url, await self.tokens.token(), conversation_id, activity
            )
            progress.refs.append(f"{conversation_id}:{activity_id}")
        self._progress.pop(delivery.outbox_id, None)
        return progress.refs[0]

    async def _update(self, url: str, old: str, activity: Activity) -> bool:
        """Replace an earlier activity; False when it is gone (post anew instead)."""
        conversation_id, _, activity_id = old.rpartition(":")
        if not conversation_id or not activity_id:
            return False
        self._guard(conversation_id)
        update = activity.model_copy(update={"id": activity_id})
        try:
            await self.connector.update(
                url, await self.tokens.token(), conversation_id, activity_id, update
            )
        except ConnectorError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _guard(self, conversation_id: str) -> None:
        """Count a request to a conversation; ConnectorError(429) past Teams' hourly limit."""
        now = self.clock().timestamp()
        recent: deque[float] | None = self._recent.get(conversation_id)
        if recent is None:
            recent = deque()
        while recent and recent[0] <= now - HOUR:
            recent.popleft()
        if len(recent) >= self.conversation_limit:
            raise ConnectorError(429, "ConversationLimit", retry_after=None)
        recent.append(now)
        self._recent.put(conversation_id, recent)

    def _connector_error(self, exc: ConnectorError, tenant: str, delivery: Delivery) -> SendResult:
        status, code = exc.status, exc.code or "error"
        log.warning("teams %s: outbox %d: %s %s", tenant, delivery.outbox_id, status, code)
        if code == "ConversationLimit":
            reason = f"conversation limit ({self.conversation_limit}/hour) reached"
            return Failed(reason=reason, retryable=True)
        if status == 429:
            return RateLimited(retry_after=retry_after_seconds(exc.retry_after))
        if status == 401:
            self.tokens.invalidate()
            return Failed(reason="Bot Connector answered 401: token dropped", retryable=True)
        if status == 403:
            reason = f"{NOT_INSTALLED}: {code}"
            self._gone.put((tenant, delivery.recipient.person_id), reason)
            return Failed(reason=reason, retryable=False, unreachable=True)
        if status == 404:
            reason = f"Teams conversation not found: {code}"
            return Failed(reason=reason, retryable=False, unreachable=True)
        if status in RETRYABLE or status >= 500:
            return Failed(reason=f"Teams answered {status} {code}", retryable=True)
        return Failed(reason=f"Teams answered {status} {code}", retryable=False)
