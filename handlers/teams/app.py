"""The Teams edge: POST /api/messages, verified, deduplicated, committed before the 200."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity
from pydantic import ValidationError
from sqlalchemy import delete

from bot.dispatcher import Dispatcher
from bot.llm import LLM
from handlers.teams.auth import AuthError, BotFrameworkAuth
from handlers.teams.connector import Connector, ConnectorError, ServiceUrlNotAllowed, addressed
from handlers.teams.identity import TeamsIdentities, linked
from handlers.teams.installs import on_install
from handlers.teams.submits import parse
from handlers.teams.tokens import BotTokens, TeamsTokenError
from handlers.teams.turns import Heard, run_turn
from prompts import copy_for
from storage.db import Database
from storage.models import InboundEvent

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
MAX_BODY = 256 * 1024


@dataclass
class Teams:
    """The edge's shared state: auth, database, dispatcher, tokens, connector, optional model."""

    auth: BotFrameworkAuth
    database: Database
    dispatcher: Dispatcher
    tokens: BotTokens
    connector: Connector
    clock: Callable[[], datetime]
    identities: TeamsIdentities = field(default_factory=TeamsIdentities)
    llm: LLM | None = None
    _background: set[asyncio.Future[Any]] = field(default_factory=set)

    def add_routes(self, web_app: web.Application) -> None:
        """Serve POST /api/messages."""
        web_app.router.add_post(MESSAGES_PATH, self.messages)

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """Verify the token (401/403 and nothing else when bad), then handle and commit."""
        raw = await request.content.read(MAX_BODY + 1)
        try:  # nothing unverified is told why: anything wrong before the check is a 401
            body = json.loads(raw) if len(raw) <= MAX_BODY else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            await self.auth.verify(request.headers.get("Authorization"), body)
        except AuthError as error:  # the body and the token are never logged
            return web.json_response({"error": "unauthorized"}, status=error.status)
        kind = body.get("type")
        if kind == "message":
            await self.on_message(body)
        elif kind in ("conversationUpdate", "installationUpdate"):
            await on_install(self, body)
        return web.Response(status=200)

    async def on_message(self, body: dict[str, Any]) -> None:
        """A person wrote or clicked: one turn of the core, committed before we answer 200."""
        heard = await self.hear(body)
        if heard is None:
            return
        outcome = await run_turn(self, heard, parse(body))
        if outcome.person is None and not outcome.duplicate:
            await self.reply_directly(body, copy_for("en")("teams.not_enrolled"))
        self.wake()

    async def hear(self, body: dict[str, Any]) -> Heard | None:
        """Who and where (tenant, AAD id, reference, email when not linked yet); None if junk."""
        try:
            activity = Activity.model_validate(body)
        except ValidationError:
            return None
        sender = body.get("from") or {}
        tenant = str((body.get("conversation") or {}).get("tenantId") or "")
        tenant = tenant or str(((body.get("channelData") or {}).get("tenant") or {}).get("id", ""))
        aad_id = str(sender.get("aadObjectId") or "")
        reference = activity.get_conversation_reference().model_dump(
            by_alias=True, mode="json", exclude_none=True, exclude={"activity_id"}
        )  # no activityId: proactive messages are not replies to the first message
        heard = Heard(
            tenant_id=tenant,
            aad_id=aad_id,
            activity_key=f"{activity.conversation.id}|{activity.id}",
            reference=reference,
        )
        async with self.database.reading() as db:
            known = await linked(db, tenant, aad_id) if aad_id else None
        if known is None and aad_id and not self.identities.missed(tenant, aad_id):
            heard.email = await self.member_email(body)  # before any write transaction
        return heard

    async def member_email(self, body: dict[str, Any]) -> str:
        """The writer's email from the conversation roster ("" when Teams won't say)."""
        try:
            token = await self.tokens.token()
            return await self.connector.member_email(
                str(body.get("serviceUrl", "")),
                token,
                str((body.get("conversation") or {}).get("id", "")),
                str((body.get("from") or {}).get("id", "")),
            )
        except (ConnectorError, ServiceUrlNotAllowed, TeamsTokenError) as error:
            log.warning("teams: member lookup failed: %s", type(error).__name__)
            return ""

    async def reply_directly(self, body: dict[str, Any], text: str) -> None:
        """Answer in the same conversation, not through the outbox (nothing is stored)."""
        try:
            activity = Activity.model_validate(body)
            reply = addressed({"text": text}, activity.get_conversation_reference(), "")
            token = await self.tokens.token()
            await self.connector.send(
                str(body.get("serviceUrl", "")), token, activity.conversation.id, reply
            )
        except (ConnectorError, ServiceUrlNotAllowed, TeamsTokenError, ValidationError) as error:
            log.warning("teams: direct reply failed: %s", type(error).__name__)

    async def forget_event(self, activity_key: str) -> None:
        """Drop the dedupe row of someone on no roster (nothing is kept about them)."""
        async with self.database.transaction() as db:
            await db.execute(
                delete(InboundEvent).where(
                    InboundEvent.platform == "teams", InboundEvent.event_id == activity_key
                )
            )

    def wake(self) -> None:
        """Deliver what was just queued, after the response."""
        task = asyncio.ensure_future(self.dispatcher.wake())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def settle(self) -> None:
        """Wait for the deliveries started after responses (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def close(self) -> None:
        """Finish the background deliveries and close the connector's HTTP clients."""
        await self.settle()
        await self.connector.close()
