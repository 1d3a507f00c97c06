"""Slack interaction payloads -> neutral fields: clicked actions, submitted values, commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_COMMAND = "help"


def action_id_of(slack_action_id: str) -> str:
    """The core action id: a Slack action id without its "|index" suffix (see blocks.py)."""
    core, bar, _ = slack_action_id.rpartition("|")
    return core if bar else slack_action_id


def action_of(body: Mapping[str, Any]) -> tuple[str, str]:
    """(core action id, value) of a block_actions payload's first action (button or select)."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise ValueError("block_actions payload has no actions")
    action: dict[str, Any] = actions[0]
    action_id = action.get("action_id")
    if not isinstance(action_id, str) or not action_id:
        raise ValueError("block_actions payload: the action has no action_id")
    return action_id_of(action_id), element_value(action)


def element_value(element: Mapping[str, Any]) -> str:
    """The value of one element's state or action: text, number, option, date or time."""
    kind = element.get("type")
    if kind in ("static_select", "external_select", "radio_buttons"):
        raw = (element.get("selected_option") or {}).get("value")
    elif kind == "datepicker":
        raw = element.get("selected_date")
    elif kind == "timepicker":
        raw = element.get("selected_time")
    else:  # button, plain_text_input, number_input
        raw = element.get("value")
    return raw if isinstance(raw, str) else ""


def form_values(view: Mapping[str, Any]) -> dict[str, str]:
    """Field name -> submitted value from a view_submission's view["state"]["values"]."""
    values = (view.get("state") or {}).get("values")
    values = {} if values is None else values
    if not isinstance(values, dict):
        raise ValueError("view_submission payload: state.values is not an object")
    out: dict[str, str] = {}
    for block_id, elements in values.items():
        if not isinstance(elements, dict) or not elements:
            continue
        element = elements.get("v") or next(iter(elements.values()))
        out[block_id] = element_value(element) if isinstance(element, dict) else ""
    return out


def command_text(body: Mapping[str, Any]) -> str:
    """The words after a slash command ("/coach book" -> "book"); "help" when there are none."""
    text = body.get("text")
    words = " ".join(text.split()) if isinstance(text, str) else ""
    return words or DEFAULT_COMMAND
