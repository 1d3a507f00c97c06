"""Inbound Teams activities -> neutral parts, including a full render -> click -> parse trip."""

from __future__ import annotations

from typing import Any

import pytest

from bot.ui import Button, Choices, Form, FormField, Message, Option
from handlers.teams.cards import message_activities
from handlers.teams.submits import Submitted, parse
from prompts import copy_for

BOT = {"id": "28:bot-app-id", "name": "Coach"}


def message(**fields: Any) -> dict[str, Any]:
    """A minimal inbound message activity as Teams posts it."""
    return {"type": "message", "recipient": BOT, "from": {"id": "29:user"}, **fields}


def clicked(action: dict[str, Any], inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The activity a Teams client sends for an Action.Submit: data merged with input values."""
    return message(value={**(inputs or {}), **action["data"]})


def actions_of(msg: Message) -> list[dict[str, Any]]:
    """Every Action.Submit of the rendered message, in order."""
    return [
        action
        for activity in message_activities(msg, copy=copy_for(None))
        for element in activity["attachments"][0]["content"]["body"]
        for action in element.get("actions", [])
    ]


def test_text_without_the_bots_mention() -> None:
    entity = {"type": "mention", "mentioned": BOT, "text": "<at>Coach</at>"}
    got = parse(message(text="<at>Coach</at>  book \n", entities=[entity]))
    assert got == Submitted(kind="text", text="book")
    assert parse(message(text="<at>Coach Bot</at> help")).text == "help"
    assert parse(message(text="  sessions  ")).text == "sessions"
    assert parse(message()).text == ""


def test_a_button_click_round_trip() -> None:
    (keep, drop) = actions_of(
        Message(
            text="Keep it?",
            buttons=(
                Button(label="Keep", action_id="b.keep", value="7"),
                Button(label="Drop", action_id="b.drop"),
            ),
        )
    )
    assert parse(clicked(keep)) == Submitted(kind="action", action_id="b.keep", value="7")
    assert parse(clicked(drop)) == Submitted(kind="action", action_id="b.drop", value="")


def test_a_choice_round_trip() -> None:
    options = (Option(label="Ana", value="c1"), Option(label="Ben", value="c2"))
    (choose,) = actions_of(
        Message(
            text="Who?", choices=Choices(action_id="pick", placeholder="Coach", options=options)
        )
    )
    assert parse(clicked(choose, {"v": "c2"})) == Submitted(
        kind="action", action_id="pick", value="c2"
    )


def test_a_form_round_trip_with_every_field_kind() -> None:
    fields = (
        FormField(name="title", label="Title", initial="Lead *better*"),
        FormField(name="notes", label="Notes", kind="multiline", required=False),
        FormField(
            name="level", label="Level", kind="select", options=(Option(label="Hi", value="h"),)
        ),
        FormField(name="count", label="Count", kind="number"),
        FormField(name="day", label="Day", kind="date"),
        FormField(name="at", label="At", kind="time"),
    )
    form = Form(
        form_id="goal.new", title="New goal", submit_label="Save", fields=fields, context="ctx 1"
    )
    (save,) = actions_of(Message(text="", form=form))
    inputs = {
        "title": "Lead *better*",
        "notes": "",
        "level": "h",
        "count": 4,
        "day": "2025-06-02",
        "at": "09:15",
        "msteams": {"source": "ios"},
    }
    got = parse(clicked(save, inputs))
    assert (got.kind, got.form_id, got.context) == ("submit", "goal.new", "ctx 1")
    assert dict(got.fields) == {
        "title": "Lead *better*",
        "notes": "",
        "level": "h",
        "count": "4",
        "day": "2025-06-02",
        "at": "09:15",
    }


def test_values_are_written_out_as_text() -> None:
    got = parse(message(value={"f": "x", "c": "", "b": True, "n": None, "r": 2.5, "i": 3.0}))
    assert dict(got.fields) == {"b": "true", "n": "", "r": "2.5", "i": "3"}


@pytest.mark.parametrize(
    "activity",
    [
        "not a dict",
        {"type": "invoke", "value": {"a": "x"}},
        message(value="a string"),
        message(value=["a"]),
        message(value={}),
        message(value={"msteams": {"x": 1}}),
        message(value={"a": ""}),
        message(value={"a": 5}),
        message(value={"a": "x", "v": {"nested": 1}}),
        message(value={"a": "x", "v": "y" * 100_001}),
        message(value={"a": "y" * 100_001}),
        message(value={"f": None}),
        message(value={"f": "form", "c": ["x"]}),
        message(value={"f": "form", "c": "", "field": "z" * 100_001}),
        message(text="t" * 100_001),
    ],
)
def test_junk_is_invalid_with_a_reason(activity: Any) -> None:
    got = parse(activity)
    assert got.kind == "invalid" and got.reason


@pytest.mark.parametrize(
    ("typed", "seen"),
    [
        ("**help**", "help"),
        ("<p>help</p>", "help"),
        ("<p>line one</p><p>line  two</p>", "line one\nline two"),
        ("I <3 my team", "I <3 my team"),
        ("para one\n\npara two", "para one\n\npara two"),
    ],
)
def test_teams_formatting_is_taken_off_what_was_typed(typed: str, seen: str) -> None:
    activity = {"type": "message", "text": typed, "recipient": {"id": "28:bot"}}
    assert parse(activity).text == seen
