"""slack/manifest.yaml: pasting it gives the app everything the code expects, and no more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import bot.flows  # noqa: F401  (registers the commands)
from bot.routes import ROUTES
from handlers.slack.app import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[3] / "slack" / "manifest.yaml"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_every_request_url_is_the_one_events_route() -> None:
    m = manifest()
    urls = [
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in m["features"]["slash_commands"]),
    ]
    assert urls and all(url.endswith(EVENTS_PATH) for url in urls)
    assert m["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")


def test_scopes_events_and_home_match_what_the_bot_uses() -> None:
    m = manifest()
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "im:history", "im:write", "users:read"} <= scopes
    assert "users:read.email" in scopes  # roster matching by email
    assert not {"channels:history", "groups:history", "admin"} & scopes  # nothing beyond DMs
    events = set(m["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_home_opened", "app_uninstalled", "message.im", "tokens_revoked"}
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["interactivity"]["is_enabled"] is True


def test_the_slash_command_offers_only_words_the_core_knows() -> None:
    (command,) = manifest()["features"]["slash_commands"]
    assert command["command"] == "/coach"
    words = [w.strip() for w in command["usage_hint"].split("|")]
    assert words and all(w in ROUTES.commands for w in words)
