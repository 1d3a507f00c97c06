"""Microsoft Graph calendars (optional): msal tokens, a retrying client, the busy-time port and
the outbox sender that keeps each coach's calendar event in step with the booking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.settings import Settings
from handlers.graph.auth import GraphAuth, GraphAuthError
from handlers.graph.calendar import GraphCalendar
from handlers.graph.client import GraphClient, GraphError
from handlers.graph.sender import GraphCalendarSender
from storage.db import Database

__all__ = [
    "GraphAuth",
    "GraphAuthError",
    "GraphCalendar",
    "GraphCalendarSender",
    "GraphClient",
    "GraphError",
    "build_graph_client",
    "graph_from_settings",
]


def build_graph_client(
    *,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    authority: str | None = None,
    base_url: str = "https://graph.microsoft.com/v1.0",
    ca_bundle: Path | None = None,
) -> GraphClient:
    """A Graph client with its token source (nothing is contacted until the first call)."""
    auth = GraphAuth(
        tenant_id=tenant_id,
        client_id=client_id,
        client_secret=client_secret,
        authority=authority,
        ca_bundle=ca_bundle,
    )
    return GraphClient(auth=auth, base_url=base_url, ca_bundle=ca_bundle)


def graph_from_settings(
    settings: Settings, *, database: Database, clock: Callable[[], datetime]
) -> tuple[GraphCalendarSender, GraphCalendar] | None:
    """The calendar sender and busy-time port when GRAPH_* is configured, else None."""
    if not settings.graph_enabled or settings.graph_client_secret is None:
        return None
    client = build_graph_client(
        tenant_id=settings.graph_tenant_id or "",
        client_id=settings.graph_client_id or "",
        client_secret=settings.graph_client_secret.get_secret_value(),
        authority=settings.graph_authority or None,
        base_url=settings.graph_base_url,
        ca_bundle=settings.graph_ca_bundle,
    )
    sender = GraphCalendarSender(database=database, client=client, clock=clock)
    return sender, GraphCalendar(client)
