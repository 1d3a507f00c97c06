"""After a choice in a message: the message is updated in place to show what was chosen."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.mrkdwn import literal_mrkdwn
from prompts import Copy

log = logging.getLogger(__name__)

INTERACTIVE = ("actions",)


def chosen_label(body: dict[str, Any]) -> str:
    """The visible label of what was clicked or picked (button text or selected option)."""
    actions = body.get("actions") or [{}]
    action = actions[0] if isinstance(actions[0], dict) else {}
    option = action.get("selected_option") or {}
    text = (option.get("text") or action.get("text") or {}).get("text", "")
    return str(text)


def settled_blocks(blocks: list[dict[str, Any]], label: str, copy: Copy) -> list[dict[str, Any]]:
    """The message's blocks without its buttons and menus, plus a line naming the choice."""
    kept = [b for b in blocks if b.get("type") not in INTERACTIVE]
    line = copy("slack.you_chose", choice=literal_mrkdwn(label)) if label else copy("slack.done")
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    return kept


async def settle_clicked(client: AsyncWebClient, body: dict[str, Any], copy: Copy) -> None:
    """Replace the clicked message's buttons with the choice (a message in the DM only)."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if container.get("type") != "message" or not channel or not ts or not message:
        return
    blocks = settled_blocks(list(message.get("blocks") or []), chosen_label(body), copy)
    try:
        await client.chat_update(
            channel=channel, ts=ts, blocks=blocks, text=str(message.get("text") or "")
        )
    except SlackApiError as error:  # the choice itself is already committed
        log.warning("slack: could not update the clicked message: %s", error.response.get("error"))
