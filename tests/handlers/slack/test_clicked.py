"""A clicked message is updated in place: its buttons give way to the choice made."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.clicked import chosen_label, settle_clicked, settled_blocks
from prompts import copy_for
from tests.handlers.slack.mock_slack import DEFAULT_TOKEN, Fault, mock_slack

BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Pick a day"}},
    {
        "type": "actions",
        "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Tue 1 Dec"}}],
    },
]


def click(label: str = "Tue 1 Dec") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "container": {"type": "message", "channel_id": "DU1", "message_ts": "1700000000.000001"},
        "message": {"text": "Pick a day", "blocks": BLOCKS},
        "actions": [{"type": "button", "text": {"type": "plain_text", "text": label}}],
    }


def test_the_buttons_go_and_the_choice_is_named_exactly() -> None:
    blocks = settled_blocks(BLOCKS, "Tue *1* Dec", copy_for("en"))
    assert [b["type"] for b in blocks] == ["section", "context"]
    line = blocks[-1]["elements"][0]["text"]
    assert "You chose" in line and "*1*" not in line  # the label is shown, never formatted


def test_a_picked_option_is_named_too() -> None:
    body = click()
    body["actions"] = [{"type": "static_select", "selected_option": {"text": {"text": "10:30"}}}]
    assert chosen_label(body) == "10:30"


async def test_the_clicked_message_is_updated_in_place() -> None:
    async with mock_slack() as mock:
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=mock.api_url)
        await settle_clicked(client, click(), copy_for("en"))
        (update,) = mock.called("chat.update")
        assert update.args["channel"] == "DU1" and update.args["ts"] == "1700000000.000001"
        assert [b["type"] for b in update.args["blocks"]] == ["section", "context"]


async def test_a_failed_update_changes_nothing_else_and_a_modal_click_is_left_alone() -> None:
    async with mock_slack() as mock:
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=mock.api_url)
        mock.fail("chat.update", Fault(error="message_not_found"))
        await settle_clicked(client, click(), copy_for("en"))  # logged, not raised
        in_modal = click() | {"container": {"type": "view", "view_id": "V1"}}
        await settle_clicked(client, in_modal, copy_for("en"))
        assert len(mock.called("chat.update")) == 1
