"""Message -> Teams Adaptive Card activities: content, literal text, splitting and card shape."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.ui import Attachment, Button, Choices, Fact, Form, FormField, Message, Option, literal
from handlers.teams.cards import ACTIVITY_BYTES, card_text, message_activities
from handlers.teams.markdown import pieces
from prompts import copy_for

COPY = copy_for(None)
ATTACK = "*bold* _it_ [link](http://x) <at>x</at> # h"
INPUTS = {"Input.Text", "Input.Number", "Input.Date", "Input.Time", "Input.ChoiceSet"}
KNOWN = {"TextBlock", "FactSet", "ActionSet", "Container", "ColumnSet", *INPUTS}
_SPECIAL = set("\\*_~`[]<>#&")


def shown(markdown: str) -> str:
    """What Teams displays for our escaped markdown, bold marks aside (escapes undone)."""
    assert re.search(r"(?<!\\)(?:\\\\)*[_~`\[\]<>#&]", markdown.replace("**", "")) is None
    return re.sub(r"\\(.)", r"\1", markdown.replace("**", "")).replace("\u00a0", " ")


def check(activity: dict[str, Any]) -> dict[str, Any]:
    """Assert one activity's shape and size; return its card."""
    assert activity["type"] == "message"
    assert len(json.dumps(activity).encode()) <= ACTIVITY_BYTES  # ASCII-escaped: the largest
    assert len(json.dumps(activity, ensure_ascii=False).encode()) <= ACTIVITY_BYTES
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5" and "$schema" in card
    ids: set[str] = set()
    for element in card["body"]:
        assert element["type"] in KNOWN
        if element["type"] in INPUTS:
            assert element["id"] not in ids
            ids.add(element["id"])
        for action in element.get("actions", []):
            assert action["type"] == "Action.Submit" and action["title"]
            assert len(action["title"]) <= 40 and isinstance(action["data"], dict)
    return dict(card)


def cards(message: Message) -> list[dict[str, Any]]:
    """The cards of `message`, each checked."""
    return [check(a) for a in message_activities(message, copy=COPY)]


def texts(card: dict[str, Any]) -> list[str]:
    """The TextBlock texts of a card, as shown."""
    return [shown(e["text"]) for e in card["body"] if e["type"] == "TextBlock"]


def test_every_feature_is_rendered_in_order() -> None:
    message = Message(
        title="Your session",
        text="Booked with *Ana*. Type `sessions` to see it.\nSecond line\n\nNew paragraph",
        facts=(Fact(label="Coach", value="Ana Ruiz"), Fact(label="When", value="Tue 14:00")),
        buttons=(
            Button(label="Keep", action_id="keep", value="1", style="primary"),
            Button(label="Cancel", action_id="cancel", value="2", style="danger"),
            Button(label="Later", action_id="later"),
        ),
        choices=Choices(
            action_id="pick", placeholder="Pick one", options=(Option(label="A", value="a"),)
        ),
        footer="Sent by Coach Companion",
        attachments=(Attachment(filename="session.ics", media_type="text/calendar", content="x"),),
    )
    (activity,) = message_activities(message, copy=COPY)
    card = check(activity)
    assert card["fallbackText"] == activity["summary"] and "text" not in activity  # card only
    assert activity["summary"].startswith("Your session\nBooked with Ana. Type sessions to see it.")
    body = card["body"]
    assert body[0] == {
        "type": "TextBlock",
        "text": "Your session",
        "wrap": True,
        "weight": "Bolder",
        "size": "Medium",
    }
    assert body[1]["text"] == "Booked with **Ana**. Type **sessions** to see it."
    assert body[2]["spacing"] == "None" and "spacing" not in body[3]
    assert body[4] == {
        "type": "FactSet",
        "facts": [{"title": "Coach", "value": "Ana Ruiz"}, {"title": "When", "value": "Tue 14:00"}],
    }
    actions = body[5]["actions"]
    assert [a["data"] for a in actions] == [
        {"a": "keep", "v": "1"},
        {"a": "cancel", "v": "2"},
        {"a": "later", "v": ""},
    ]
    assert [a.get("style") for a in actions] == ["positive", "destructive", None]
    assert all(a["associatedInputs"] == "none" for a in actions)
    select, submit = body[6], body[7]["actions"][0]
    assert select["type"] == "Input.ChoiceSet" and select["id"] == "v"
    assert select["style"] == "compact" and select["choices"] == [{"title": "A", "value": "a"}]
    assert submit["data"] == {"a": "pick"} and submit["title"] == COPY("teams.choose")
    assert texts(card)[-2].startswith("📎 session.ics: calendar files can't be attached in Teams")
    assert texts(card)[-1] == "Sent by Coach Companion"
    assert body[-1]["size"] == "Small" and body[-1]["isSubtle"] is True


def test_literal_text_is_shown_exactly_everywhere() -> None:
    message = Message(
        title=literal(ATTACK),
        text=f"Your goal: {literal(ATTACK)}\n{literal('1. not a list')}\n{literal('- nor this')}",
        facts=(Fact(label=literal(ATTACK), value=literal(ATTACK)),),
        footer=literal(ATTACK),
        attachments=(Attachment(filename="a*b_[c].ics", media_type="text/calendar", content=""),),
    )
    (card,) = cards(message)
    assert texts(card)[:4] == [ATTACK, f"Your goal: {ATTACK}", "1. not a list", "- nor this"]
    assert texts(card)[-1] == ATTACK and texts(card)[-2].startswith("📎 a*b_[c].ics: ")
    assert card["body"][2]["text"].startswith("1\\.") and card["body"][3]["text"][0] == "\\"
    fact = next(e for e in card["body"] if e["type"] == "FactSet")["facts"][0]
    assert shown(fact["title"]) == shown(fact["value"]) == ATTACK
    assert "**" not in json.dumps(card)
    assert card_text(message).startswith(f"{ATTACK}\nYour goal: {ATTACK}")


def test_bold_around_a_literal_is_bold_but_its_inside_is_not() -> None:
    ((shown_piece, _),) = pieces(f"You chose *{literal('*x* `y`')}*")
    assert shown_piece == "You chose **\\*x\\* \\`y\\`**"


def test_long_text_splits_across_activities_in_order() -> None:
    words = " ".join(f"w{n:05d}" for n in range(2900))  # one 20,300-char line
    text = f"{words}\n\n{literal('<' * 5000)}\n{'é' * 2000}"
    activities = message_activities(Message(text=text, title="Long"), copy=COPY)
    assert len(activities) > 1
    blocks = [t for card in map(check, activities) for t in texts(card)]
    assert blocks[0] == "Long"
    assert " ".join(blocks[1:-4]) == words  # cut at spaces, nothing lost, in order
    assert blocks[-4:] == ["<" * 2000, "<" * 2000, "<" * 1000, "é" * 2000]


def test_sixty_buttons_are_all_kept() -> None:
    buttons = tuple(
        Button(label=f"Slot {n} " * 8, action_id="slot", value=str(n)) for n in range(60)
    )
    found = [
        action
        for card in cards(Message(text="Pick a time", buttons=buttons))
        for element in card["body"]
        for action in element.get("actions", [])
    ]
    assert [a["data"]["v"] for a in found] == [str(n) for n in range(60)]
    assert all(a["title"].endswith("…") for a in found)


def test_150_choices_in_one_compact_list() -> None:
    options = tuple(Option(label=f"Coach {n}", value=f"c{n}") for n in range(150))
    message = Message(
        text="Choose", choices=Choices(action_id="c", placeholder="Coach", options=options)
    )
    (card,) = cards(message)
    select = next(e for e in card["body"] if e["type"] == "Input.ChoiceSet")
    assert [c["value"] for c in select["choices"]] == [o.value for o in options]


def test_huge_choice_lists_split_one_list_per_card() -> None:
    options = tuple(Option(label=f"{n} " + "x" * 150, value=f"v{n}") for n in range(400))
    message = Message(
        text="Choose", choices=Choices(action_id="c", placeholder="Coach", options=options)
    )
    found = []
    for card in cards(message):
        selects = [e for e in card["body"] if e["type"] == "Input.ChoiceSet"]
        assert len(selects) == 1
        found += [c["value"] for c in selects[0]["choices"]]
        assert re.fullmatch(r"Coach \(\d+–\d+\)", selects[0]["placeholder"])
    assert found == [o.value for o in options]


FIELDS = (
    FormField(
        name="title", label="Title", initial="My *goal*", max_length=80, placeholder="A title"
    ),
    FormField(
        name="notes", label="Notes", kind="multiline", required=False, initial="line 1\nline 2"
    ),
    FormField(
        name="level",
        label="Level",
        kind="select",
        initial="b",
        options=(Option(label="Low", value="a"), Option(label="High", value="b")),
    ),
    FormField(name="count", label="How many", kind="number", initial="3"),
    FormField(name="day", label="Day", kind="date", initial="2025-06-02"),
    FormField(name="at", label="Time", kind="time", initial="14:30"),
)
FORM = Form(
    form_id="goal.edit", title="Edit goal", submit_label="Save", fields=FIELDS, context="g42"
)


def form_card() -> dict[str, Any]:
    """The card holding FORM."""
    (card,) = cards(Message(text="Edit it below", form=FORM))
    return card


def test_form_with_every_field_kind_and_initial_values() -> None:
    body = {e.get("id"): e for e in form_card()["body"]}
    assert body["title"] == {
        "id": "title",
        "label": "Title",
        "isRequired": True,
        "errorMessage": COPY("teams.required"),
        "placeholder": "A title",
        "type": "Input.Text",
        "maxLength": 80,
        "value": "My *goal*",
    }
    assert body["notes"]["isMultiline"] is True and body["notes"]["isRequired"] is False
    assert body["notes"]["value"] == "line 1\nline 2" and "errorMessage" not in body["notes"]
    assert body["level"]["type"] == "Input.ChoiceSet" and body["level"]["value"] == "b"
    assert body["count"]["type"] == "Input.Number" and body["count"]["value"] == 3
    assert (body["day"]["type"], body["day"]["value"]) == ("Input.Date", "2025-06-02")
    assert (body["at"]["type"], body["at"]["value"]) == ("Input.Time", "14:30")
    submit = form_card()["body"][-1]["actions"][0]
    assert submit["title"] == "Save" and submit["data"] == {"f": "goal.edit", "c": "g42"}


def test_a_form_never_splits_and_never_shares_a_card_with_choices() -> None:
    options = (Option(label="A", value="a"),)
    message = Message(
        text="x", form=FORM, choices=Choices(action_id="c", placeholder="p", options=options)
    )
    assert len(cards(message)) == 2
    big = FormField(
        name="big",
        label="Big",
        options=tuple(Option(label="o" * 200, value=str(n)) for n in range(200)),
        kind="select",
    )
    with pytest.raises(ValueError, match="never splits"):
        message_activities(
            Message(text="x", form=Form(form_id="f", title="t", submit_label="s", fields=(big,))),
            copy=COPY,
        )


@pytest.mark.parametrize("name", ["a", "v", "f", "c", ""])
def test_reserved_field_names_are_refused(name: str) -> None:
    form = Form(form_id="f", title="t", submit_label="s", fields=(FormField(name=name, label="x"),))
    with pytest.raises(ValueError, match="field names"):
        message_activities(Message(text="x", form=form), copy=COPY)


def test_empty_message_is_one_empty_card() -> None:
    (card,) = cards(Message(text=""))
    assert card["body"] == []
