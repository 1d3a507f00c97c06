"""Slack interaction payloads (block_actions, view_submission, slash commands) -> neutral fields."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.slack.payloads import action_id_of, action_of, command_text, form_values


def block_actions(action: dict[str, Any]) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for a click in a DM message."""
    return {
        "type": "block_actions",
        "user": {"id": "U1", "username": "ana", "name": "ana", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "D1",
            "is_ephemeral": False,
        },
        "trigger_id": "123.456.abc",
        "team": {"id": "T1", "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": "D1", "name": "directmessage"},
        "message": {"type": "message", "ts": "1700000000.000100", "text": "Pick", "blocks": []},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T1/1/abc",
        "actions": [{**action, "block_id": "b1", "action_ts": "1700000001.000200"}],
    }


def test_a_button_click_gives_the_core_action_and_value() -> None:
    body = block_actions(
        {
            "action_id": "booking.confirm|3",
            "text": {"type": "plain_text", "text": "Confirm", "emoji": True},
            "value": "slot-42",
            "style": "primary",
            "type": "button",
        }
    )
    assert action_of(body) == ("booking.confirm", "slot-42")


def test_a_button_without_value_gives_an_empty_value() -> None:
    body = block_actions(
        {"action_id": "later|0", "text": {"type": "plain_text", "text": "Later"}, "type": "button"}
    )
    assert action_of(body) == ("later", "")


def test_a_select_pick_gives_the_selected_option_value() -> None:
    body = block_actions(
        {
            "type": "static_select",
            "action_id": "slot.pick|1",
            "selected_option": {
                "text": {"type": "plain_text", "text": "Tue 10:00", "emoji": True},
                "value": "s7",
            },
            "placeholder": {"type": "plain_text", "text": "Pick a slot", "emoji": True},
        }
    )
    assert action_of(body) == ("slot.pick", "s7")


def test_only_the_last_bar_suffix_is_stripped() -> None:
    assert action_id_of("slack.open_form") == "slack.open_form"
    assert action_id_of("a|b|12") == "a|b"
    assert action_id_of("a|") == "a"


@pytest.mark.parametrize("body", [{}, {"actions": []}, {"actions": [{}]}, {"actions": "x"}])
def test_a_payload_without_an_action_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="action"):
        action_of(body)


def test_form_values_read_every_kind_and_empty_ones_as_blank() -> None:
    view = {
        "id": "V1",
        "type": "modal",
        "callback_id": "coach.form",
        "private_metadata": '{"f":"x","c":"","m":""}',
        "state": {
            "values": {
                "a": {"v": {"type": "plain_text_input", "value": "hi"}},
                "b": {"v": {"type": "plain_text_input", "value": None}},
                "c": {"v": {"type": "static_select", "selected_option": None}},
                "d": {"v": {"type": "number_input", "value": "12"}},
                "e": {"v": {"type": "datepicker", "selected_date": "2026-01-31"}},
                "f": {"v": {"type": "timepicker", "selected_time": "17:45"}},
                "g": {"v": {"type": "datepicker", "selected_date": None}},
                "h": {"other": {"type": "plain_text_input", "value": "kept"}},
                "i": {},
            }
        },
    }
    assert form_values(view) == {
        "a": "hi",
        "b": "",
        "c": "",
        "d": "12",
        "e": "2026-01-31",
        "f": "17:45",
        "g": "",
        "h": "kept",
    }
    assert form_values({"state": None}) == {}
    with pytest.raises(ValueError, match=r"state\.values"):
        form_values({"state": {"values": []}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [("book", "book"), ("  book   next week ", "book next week"), ("", "help"), ("   ", "help")],
)
def test_command_text(text: str, expected: str) -> None:
    body = {
        "token": "t",
        "team_id": "T1",
        "channel_id": "D1",
        "user_id": "U1",
        "command": "/coach",
        "text": text,
        "trigger_id": "1.2.3",
        "response_url": "https://hooks.slack.com/commands/T1/1/x",
    }
    assert command_text(body) == expected
    assert command_text({"command": "/coach"}) == "help"
