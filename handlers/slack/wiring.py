"""Slack from settings: the outbox sender first (the dispatcher needs it), then the edge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.dispatcher import Dispatcher
from bot.llm import LLM
from bot.settings import Settings
from handlers.slack.app import Slack, build_slack
from handlers.slack.sender import SlackSender
from handlers.slack.tokens import WorkspaceTokens
from storage.db import Database


@dataclass
class SlackParts:
    """The pieces of the Slack adapter that outlive one request."""

    tokens: WorkspaceTokens
    sender: SlackSender


def slack_sender_from_settings(
    settings: Settings, *, database: Database, clock: Callable[[], datetime]
) -> SlackParts | None:
    """The Slack sender and token store, or None when Slack is not configured."""
    if not settings.slack_enabled:
        return None
    tokens = WorkspaceTokens(database, default_token=settings.slack_bot_token)
    sender = SlackSender(tokens, api_url=settings.slack_api_url, clock=clock)
    return SlackParts(tokens=tokens, sender=sender)


def slack_edge_from_settings(
    settings: Settings,
    parts: SlackParts,
    *,
    database: Database,
    dispatcher: Dispatcher,
    clock: Callable[[], datetime],
    llm: LLM | None = None,
) -> Slack:
    """The inbound edge: HTTP with a signing secret, or Socket Mode with an app token."""
    secret = settings.slack_signing_secret
    if secret is None and settings.slack_app_token is None:
        raise ValueError(
            "Slack is configured (SLACK_BOT_TOKEN or SLACK_CLIENT_ID/SECRET) but neither "
            "SLACK_SIGNING_SECRET (HTTP mode) "
            "nor SLACK_APP_TOKEN (Socket Mode) is set"
        )
    slack = build_slack(
        database=database,
        dispatcher=dispatcher,
        tokens=parts.tokens,
        clock=clock,
        signing_secret=secret.get_secret_value() if secret else None,
        api_url=settings.slack_api_url,
    )
    slack.edge.llm = llm  # typed DMs get the model's hint (bot.refine), asked before the turn
    return slack
