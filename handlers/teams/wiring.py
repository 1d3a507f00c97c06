"""Teams from settings: the outbox sender first (the dispatcher needs it), then the edge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.dispatcher import Dispatcher
from bot.llm import LLM
from bot.settings import Settings
from handlers.teams.app import Teams
from handlers.teams.auth import BotFrameworkAuth
from handlers.teams.connector import Connector, parse_prefixes, stored_service_url
from handlers.teams.sender import TeamsSender
from handlers.teams.tokens import BotTokens
from storage.db import Database


@dataclass
class TeamsParts:
    """The pieces of the Teams adapter that outlive one request."""

    tokens: BotTokens
    sender: TeamsSender


def teams_sender_from_settings(
    settings: Settings, *, database: Database, clock: Callable[[], datetime]
) -> TeamsParts | None:
    """The Teams sender and its token source, or None when Teams is not configured."""
    if not settings.teams_enabled:
        return None
    tokens = BotTokens.from_settings(settings)
    sender = TeamsSender(
        tokens,
        allowed_service_urls=parse_prefixes(settings.teams_allowed_service_urls),
        clock=clock,
        service_url_for=stored_service_url(database),
        bot_id=settings.teams_app_id,
    )
    return TeamsParts(tokens=tokens, sender=sender)


def teams_edge_from_settings(
    settings: Settings,
    parts: TeamsParts,
    *,
    database: Database,
    dispatcher: Dispatcher,
    clock: Callable[[], datetime],
    llm: LLM | None = None,
) -> Teams:
    """The inbound edge at POST /api/messages."""
    allowed = parse_prefixes(settings.teams_allowed_service_urls)
    auth = BotFrameworkAuth(
        settings.teams_openid_metadata_url,
        app_id=settings.teams_app_id or "",
        tenant_id=settings.teams_tenant_id,
        allowed_service_urls=allowed,
    )
    return Teams(
        auth=auth,
        database=database,
        dispatcher=dispatcher,
        tokens=parts.tokens,
        connector=Connector(allowed_service_urls=allowed),
        clock=clock,
        llm=llm,
    )
