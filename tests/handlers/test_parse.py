"""Strict parsing of playground requests: control characters never reach the core."""

from __future__ import annotations

import pytest

from handlers.web import parse
from handlers.web.parse import BadRequest


@pytest.mark.parametrize(
    ("typed", "seen"),
    [
        ("he\x00lp", "help"),
        ("\x1b[31mhelp\x1b[0m", "[31mhelp[0m"),  # ESC goes; the visible rest stays
        ("book\x07\x08\x0b\x0c\x7f\x85\x9f", "book"),
        ("two\r\nlines\rthree", "two\nlines\nthree"),
        ("keeps\ttabs\nand newlines", "keeps\ttabs\nand newlines"),
        ("ünïcode – ok ✓ \u200b", "ünïcode – ok ✓ \u200b"),
        ("  \x00help\x00  ", "help"),
    ],
)
def test_control_characters_are_stripped_from_typed_text(typed: str, seen: str) -> None:
    assert parse.interact({"person_id": 1, "text": typed}).text == seen


def test_control_characters_are_stripped_from_buttons_and_forms() -> None:
    action = parse.interact({"person_id": 1, "action_id": "com\x00mand", "value": "ses\x1fsions"})
    assert (action.action_id, action.value) == ("command", "sessions")
    form = parse.interact(
        {"person_id": 1, "form_id": "f\x00", "values": {"to\x00pic": "a\r\nb\x00c", "n": ""}}
    )
    assert form.form_id == "f" and dict(form.values) == {"topic": "a\nbc", "n": ""}


@pytest.mark.parametrize("typed", ["\x00", "\x00\x01\x02", " \x1b \x7f "])
def test_text_of_control_characters_only_is_empty(typed: str) -> None:
    with pytest.raises(BadRequest, match="text must not be empty"):
        parse.interact({"person_id": 1, "text": typed})


def test_waiting_ids_are_checked() -> None:
    assert parse.interact({"person_id": 1, "text": "hi", "waiting": [3, 5]}).waiting == (3, 5)
    for bad in ("3", [-1], ["3"], [True], list(range(101))):
        with pytest.raises(BadRequest, match="waiting"):
            parse.interact({"person_id": 1, "text": "hi", "waiting": bad})
    assert parse.query_ids({"waiting": "3,5,"}, "waiting") == (3, 5)
    assert parse.query_ids({}, "waiting") == ()
    for bad in ("3,x", "-1", ",".join(["1"] * 101)):
        with pytest.raises(BadRequest, match="waiting"):
            parse.query_ids({"waiting": bad}, "waiting")
