"""The outbox sender of channel "slack": DMs, in-place updates, files and the App Home.

One AsyncWebClient per bot token, pointed at `api_url`, with slack_sdk's default retry
handlers (connection errors only): the dispatcher owns backoff and 429 holds. A person imported
by email only is found with users.lookupByEmail; the id, and the DM channel from
conversations.open, are reported in `Sent.learned` (and remembered here, so rows claimed in the
same pass do not ask again). Message text is never logged.

Attachments and retries: chat.postMessage has no idempotency key, so a retry must not post
again what already arrived. Payloads are posted first (the message reads before its invite),
then each file is uploaded to the DM; what got through is remembered per outbox row in this
process, so a retry after a failed upload uploads only what is missing and never re-posts the
message. Only a crash between the two loses that memory (at-least-once, as the outbox is).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import Delivery, Failed, RateLimited, Recipient, SendResult, Sent
from bot.ui import Message
from handlers.memo import Memo, Recent
from handlers.slack.blocks import message_payloads
from handlers.slack.tokens import WorkspaceTokens
from handlers.slack.views import home_view
from prompts import copy_for

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 1.0
STOP_ERRORS = frozenset(
    {
        "account_inactive",
        "token_revoked",
        "token_expired",
        "invalid_auth",
        "not_authed",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)
GONE_ERRORS = frozenset(
    {"channel_not_found", "user_not_found", "users_not_found", "cannot_dm_bot", "user_disabled"}
)
STALE_REF_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
NO_MEMBER = "no member with that email"
GONE_FOR = 120.0  # seconds an in-process "unreachable" counts without the database mark


@dataclass
class _Progress:
    """What already reached Slack for one outbox row: posted refs, uploaded attachment indexes."""

    refs: list[str] = field(default_factory=list)
    uploaded: set[int] = field(default_factory=set)


class SlackSender:
    """Delivers "slack" outbox rows through the Slack Web API, one workspace token each."""

    channel = "slack"

    def __init__(
        self,
        tokens: WorkspaceTokens,
        *,
        api_url: str | None = None,
        clock: Callable[[], datetime],
        timeout: int = 15,
    ) -> None:
        self.tokens = tokens
        self.api_url = api_url
        self.clock = clock
        self.timeout = timeout
        self._clients: Memo = Memo()
        self._user_ids: Memo = Memo()  # (team, person id, email) -> Slack user id
        self._dms: Memo = Memo()  # (team, user id) -> DM channel id
        # (team, person id, user id or "", email) -> reason, for rows claimed before the
        # database mark landed; the mark (cleared by a re-import) stops the loop after that.
        self._gone = Recent(GONE_FOR, now=lambda: self.clock().timestamp())
        self._progress: Memo = Memo()  # outbox id -> _Progress

    def _client(self, token: str) -> AsyncWebClient:
        client = self._clients.get(token)
        if client is None:
            kwargs: dict[str, Any] = {"base_url": self.api_url} if self.api_url else {}
            client = AsyncWebClient(token=token, timeout=self.timeout, **kwargs)
            self._clients.put(token, client)
        return client

    async def send(self, delivery: Delivery) -> SendResult:
        """Deliver one row; platform errors come back as Failed / RateLimited, never raised."""
        team = delivery.tenant
        if team is None:
            return Failed(reason="no Slack workspace for this row", retryable=False)
        found = await self.tokens.lookup(team)
        if found.token is None:
            return Failed(reason=f"workspace stopped: {found.stopped}", retryable=False)
        recipient = delivery.recipient
        known = recipient.unreachable_reason or self._gone.fresh(_gone_key(team, recipient))
        if known:
            return Failed(reason=known, retryable=False)
        try:
            return await self._deliver(self._client(found.token), team, delivery)
        except SlackApiError as exc:
            return await self._api_error(exc, team, delivery)
        except (TimeoutError, SlackClientError, aiohttp.ClientError, OSError) as exc:
            log.warning("slack %s: outbox %d: %s", team, delivery.outbox_id, type(exc).__name__)
            return Failed(reason=f"connection error: {type(exc).__name__}", retryable=True)

    async def _deliver(self, client: AsyncWebClient, team: str, delivery: Delivery) -> SendResult:
        recipient = delivery.recipient
        learned: dict[str, Any] = {}
        user_id = recipient.external_id or await self._user_id(client, team, recipient)
        if not recipient.external_id:
            learned.update(external_id=user_id, tenant_key=team)
        if delivery.kind == "home":
            await self._publish_home(client, user_id, delivery)
            return Sent(learned=learned)
        channel = recipient.dm_channel_id or await self._dm(client, team, user_id)
        if not recipient.dm_channel_id:
            learned["dm_channel_id"] = channel
        ref = await self._post(client, channel, delivery)
        return Sent(ref=ref, learned=learned)

    async def _user_id(self, client: AsyncWebClient, team: str, recipient: Recipient) -> str:
        key = (team, recipient.person_id, recipient.email.lower())
        user_id = self._user_ids.get(key)
        if user_id is None:
            answer = await client.users_lookupByEmail(email=recipient.email)
            user_id = str(answer["user"]["id"])
            self._user_ids.put(key, user_id)
        return str(user_id)

    async def _dm(self, client: AsyncWebClient, team: str, user_id: str) -> str:
        channel = self._dms.get((team, user_id))
        if channel is None:
            answer = await client.conversations_open(users=[user_id])
            channel = str(answer["channel"]["id"])
            self._dms.put((team, user_id), channel)
        return str(channel)

    async def _publish_home(self, client: AsyncWebClient, user_id: str, delivery: Delivery) -> None:
        raw = delivery.data.get("sections")
        sections = [Message.from_payload(s) for s in raw if isinstance(s, dict)] if raw else []
        view = home_view(sections, copy_for(delivery.recipient.locale))
        await client.views_publish(user_id=user_id, view=view)

    async def _post(self, client: AsyncWebClient, channel: str, delivery: Delivery) -> str:
        """Post (or update in place) every payload, then upload files; the first message's ref."""
        message = delivery.message
        payloads = message_payloads(
            message, outbox_id=delivery.outbox_id, copy=copy_for(delivery.recipient.locale)
        )
        progress: _Progress = self._progress.get(delivery.outbox_id) or _Progress()
        self._progress.put(delivery.outbox_id, progress)
        ref = delivery.platform_ref
        fresh = ref and progress.refs[:1] in ([ref], [])  # not already posted anew
        if ref and fresh and (progress.refs or await self._update(client, ref, payloads[0])):
            progress.refs[:1] = [ref]
            payloads = payloads[:1]  # the rest of a long replaced message stays as it was
        for payload in payloads[len(progress.refs) :]:
            answer = await client.chat_postMessage(
                channel=channel,
                text=payload["text"],
                blocks=payload["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
            progress.refs.append(f"{answer['channel']}:{answer['ts']}")
        for index, attachment in enumerate(message.attachments):
            if index in progress.uploaded:
                continue
            await client.files_upload_v2(
                channel=channel,
                filename=attachment.filename,
                title=attachment.filename,
                content=attachment.content.encode("utf-8"),
            )
            progress.uploaded.add(index)
        self._progress.pop(delivery.outbox_id, None)
        return progress.refs[0]

    async def _update(self, client: AsyncWebClient, ref: str, payload: dict[str, Any]) -> bool:
        """Edit an earlier message in place; False when it can no longer be edited."""
        channel, _, ts = ref.partition(":")
        try:
            await client.chat_update(
                channel=channel, ts=ts, text=payload["text"], blocks=payload["blocks"]
            )
        except SlackApiError as exc:
            if _error(exc) in STALE_REF_ERRORS:
                return False  # post a new message instead
            raise
        return True

    async def _api_error(self, exc: SlackApiError, team: str, delivery: Delivery) -> SendResult:
        status = exc.response.status_code
        error = _error(exc)
        log.warning("slack %s: outbox %d: %s (%s)", team, delivery.outbox_id, error, status)
        if status == 429 or error == "ratelimited":
            return RateLimited(retry_after=_retry_after(exc))
        if status >= 500:
            return Failed(reason=f"Slack answered {status}", retryable=True)
        if error in STOP_ERRORS:
            await self.tokens.stop(team, error, self.clock())
            return Failed(reason=f"workspace stopped: {error}", retryable=False)
        if error in GONE_ERRORS:
            why = NO_MEMBER if error == "users_not_found" else error
            reason = f"unreachable on Slack: {why}"
            self._gone.put(_gone_key(team, delivery.recipient), reason)
            return Failed(reason=reason, retryable=False, unreachable=True)
        if error == "missing_scope":
            needed = _field(exc, "needed")
            return Failed(reason=f"missing_scope {needed}".strip(), retryable=False)
        return Failed(reason=error, retryable=True)


def _gone_key(team: str, recipient: Recipient) -> tuple[str, int, str, str]:
    return (team, recipient.person_id, recipient.external_id or "", recipient.email.lower())


def _field(exc: SlackApiError, name: str) -> str:
    data = exc.response.data
    value = data.get(name) if isinstance(data, dict) else None
    return str(value) if value else ""


def _error(exc: SlackApiError) -> str:
    return _field(exc, "error") or f"http {exc.response.status_code}"


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after")
    try:
        value = float(raw[0] if isinstance(raw, list) else raw) if raw else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return value if value > 0 else DEFAULT_RETRY_AFTER
