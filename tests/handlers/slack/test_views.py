"""Form -> modal view, home Messages -> App Home view, and the modal metadata codec."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.ui import Button, Form, FormField, Message, Option, literal
from handlers.slack.payloads import form_values
from handlers.slack.views import decode_metadata, encode_metadata, home_view, modal_view
from prompts import copy_for
from tests.handlers.slack.test_blocks import check_blocks, shown

COPY = copy_for("en")
COACHES = (Option(label="Ana Ruiz", value="c1"), Option(label="Ben Okafor", value="c2"))
EVERY_KIND = Form(
    form_id="goal.new",
    title="A new goal",
    submit_label="Save",
    context="g17",
    fields=(
        FormField(name="title", label="Title", placeholder="e.g. Speak up", max_length=80),
        FormField(name="why", label="Why", kind="multiline", required=False, max_length=9000),
        FormField(name="coach", label="Coach", kind="select", options=COACHES, initial="c2"),
        FormField(name="weeks", label="Weeks", kind="number", initial="6"),
        FormField(name="due", label="Due", kind="date", initial="2026-03-01"),
        FormField(name="at", label="At", kind="time", initial="09:30", required=False),
    ),
)


def check_view(view: dict[str, Any]) -> None:
    """Assert the view-level limits (100 blocks, 24-char labels, 3,000-char metadata)."""
    check_blocks(view["blocks"], max_blocks=100)
    for key in ("title", "submit", "close"):
        if key in view:
            assert 1 <= len(view[key]["text"]) <= 24
    assert len(view.get("private_metadata", "")) <= 3000
    for block in view["blocks"]:
        if block["type"] == "input":
            assert len(block["label"]["text"]) <= 2000
            assert len(block["element"].get("placeholder", {}).get("text", "")) <= 150
            assert block["element"].get("max_length", 1) <= 3000


def modal(form: Form, **kwargs: str) -> dict[str, Any]:
    view = modal_view(form, copy=COPY, **kwargs)
    check_view(view)
    return view


def test_a_modal_has_one_input_per_field_of_every_kind() -> None:
    view = modal(EVERY_KIND, replaces="goal:17")
    assert (view["type"], view["callback_id"]) == ("modal", "coach.form")
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "A new goal",
        "Save",
        "Cancel",
    )
    assert json.loads(view["private_metadata"]) == {"f": "goal.new", "c": "g17", "m": "goal:17"}
    inputs = {b["block_id"]: b for b in view["blocks"]}
    assert list(inputs) == ["title", "why", "coach", "weeks", "due", "at"]
    assert {b["element"]["action_id"] for b in inputs.values()} == {"v"}
    assert [b["optional"] for b in inputs.values()] == [False, True, False, False, False, True]
    title, why = inputs["title"]["element"], inputs["why"]["element"]
    assert (title["type"], title["max_length"], title["placeholder"]["text"]) == (
        "plain_text_input",
        80,
        "e.g. Speak up",
    )
    assert (why["multiline"], why["max_length"]) == (True, 3000)
    coach = inputs["coach"]["element"]
    assert coach["type"] == "static_select" and len(coach["options"]) == 2
    assert coach["initial_option"]["value"] == "c2"
    weeks = inputs["weeks"]["element"]
    assert (weeks["type"], weeks["is_decimal_allowed"], weeks["initial_value"]) == (
        "number_input",
        False,
        "6",
    )
    assert inputs["due"]["element"] == {
        "type": "datepicker",
        "action_id": "v",
        "initial_date": "2026-03-01",
    }
    assert inputs["at"]["element"] == {
        "type": "timepicker",
        "action_id": "v",
        "initial_time": "09:30",
    }


def test_a_submission_in_slacks_shape_parses_back_to_the_fields() -> None:
    view = modal(EVERY_KIND)
    state: dict[str, dict[str, Any]] = {
        "title": {"v": {"type": "plain_text_input", "value": "Speak up *more*"}},
        "why": {"v": {"type": "plain_text_input", "value": None}},
        "coach": {
            "v": {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Ben Okafor", "emoji": True},
                    "value": "c2",
                },
            }
        },
        "weeks": {"v": {"type": "number_input", "value": "8"}},
        "due": {"v": {"type": "datepicker", "selected_date": "2026-04-01"}},
        "at": {"v": {"type": "timepicker", "selected_time": None}},
    }
    assert set(state) == {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    submitted = {**view, "id": "V1", "team_id": "T1", "state": {"values": state}, "hash": "h"}
    assert form_values(submitted) == {
        "title": "Speak up *more*",
        "why": "",
        "coach": "c2",
        "weeks": "8",
        "due": "2026-04-01",
        "at": "",
    }
    assert decode_metadata(submitted["private_metadata"]) == ("goal.new", "g17", "")


def test_long_labels_are_cut_and_bad_initials_dropped() -> None:
    form = Form(
        form_id="f",
        title="A form title of forty characters, really",
        submit_label="Submit this form right now please",
        fields=(
            FormField(name="a", label="L" * 2500, placeholder="P" * 200),
            FormField(name="n", label="N", kind="number", initial="2.5"),
            FormField(name="d", label="D", kind="date", initial="tomorrow"),
            FormField(name="s", label="S", kind="select", options=COACHES, initial="nobody"),
        ),
    )
    view = modal(form)
    assert view["title"]["text"] == "A form title of forty c…"
    assert view["submit"]["text"] == "Submit this form right…"
    a, n, d, s = (b["element"] for b in view["blocks"])
    assert view["blocks"][0]["label"]["text"] == "L" * 1999 + "…"
    assert a["placeholder"]["text"] == "P" * 149 + "…"
    assert "initial_value" not in n and "initial_date" not in d and "initial_option" not in s


def test_intro_text_comes_first_and_is_escaped() -> None:
    view = modal(EVERY_KIND, intro=f"Please fix: {literal('<!channel> *x*')}")
    first = view["blocks"][0]
    assert (
        first["type"] == "section" and shown(first["text"]["text"]) == "Please fix: <!channel> *x*"
    )
    assert [b["type"] for b in view["blocks"]][1:] == ["input"] * 6


def test_a_select_with_250_options_uses_option_groups() -> None:
    options = tuple(Option(label=f"O{n}", value=f"o{n}") for n in range(250))
    field = FormField(name="s", label="S", kind="select", options=options, initial="o120")
    element = modal(Form(form_id="f", title="T", submit_label="S", fields=(field,)))["blocks"][0][
        "element"
    ]
    groups = element["option_groups"]
    assert [g["label"]["text"] for g in groups] == ["1–100", "101–200", "201–250"]
    assert [o["value"] for g in groups for o in g["options"]] == [f"o{n}" for n in range(250)]
    assert element["initial_option"]["value"] == "o120"


def test_too_many_fields_or_too_much_metadata_is_refused() -> None:
    fields = tuple(FormField(name=f"f{n}", label="x") for n in range(101))
    with pytest.raises(ValueError, match="a modal holds 100"):
        modal_view(Form(form_id="f", title="T", submit_label="S", fields=fields), copy=COPY)
    big = Form(form_id="f", title="T", submit_label="S", fields=fields[:1], context="c" * 3000)
    with pytest.raises(ValueError, match=r"private_metadata is 30\d\d chars"):
        modal_view(big, copy=COPY)


def test_metadata_round_trips_and_junk_is_refused() -> None:
    text = encode_metadata("f", 'ctx "quoted" é', "r")
    assert decode_metadata(text) == ("f", 'ctx "quoted" é', "r")
    assert decode_metadata('{"f":"only"}') == ("only", "", "")
    for junk, why in [
        ("", "not JSON"),
        ("nope", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"c":"x"}', "no form id"),
        ('{"f":""}', "no form id"),
        ('{"f":3}', "no form id"),
        ('{"f":"a","c":3}', "must be strings"),
        ('{"f":"a","m":null}', "must be strings"),
    ]:
        with pytest.raises(ValueError, match=why):
            decode_metadata(junk)


def section(n: int, size: int) -> Message:
    """A home section of `size` blocks: a title and size - 1 paragraphs of 2,900 chars."""
    text = "\n\n".join(f"s{n}p{p} " + "x" * 2900 for p in range(size - 1))
    return Message(title=f"Section {n}", text=text)


def test_home_puts_dividers_between_sections_and_no_open_form_buttons() -> None:
    form = Form(form_id="f", title="T", submit_label="S", fields=(FormField(name="a", label="A"),))
    sections = [
        Message(
            title="Next session", text="Tue 10:00", buttons=(Button(label="Move", action_id="m"),)
        ),
        Message(text="Your goal", form=form),
    ]
    view = home_view(sections, COPY)
    check_view(view)
    assert view["type"] == "home"
    assert [b["type"] for b in view["blocks"]] == [
        "header",
        "section",
        "actions",
        "divider",
        "section",
    ]


def test_home_over_100_blocks_is_cut_at_a_section_and_says_so() -> None:
    view = home_view([section(n, 30) for n in range(5)], COPY)
    check_view(view)
    blocks = view["blocks"]
    assert len(blocks) == 3 * 30 + 2 + 1
    assert blocks[-1]["elements"][0]["text"] == COPY("slack.more_in_chat")
    titles = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert titles == ["Section 0", "Section 1", "Section 2"]


def test_home_of_exactly_100_blocks_fits_whole() -> None:
    view = home_view([section(0, 49), section(1, 50)], COPY)
    check_view(view)
    assert len(view["blocks"]) == 100 and view["blocks"][-1]["type"] == "section"


def test_a_huge_first_section_is_cut_to_fit() -> None:
    view = home_view([section(0, 150), section(1, 2)], COPY)
    check_view(view)
    assert len(view["blocks"]) == 100 and view["blocks"][-1]["type"] == "context"


def test_an_empty_home_has_no_blocks() -> None:
    assert home_view([], COPY) == {"type": "home", "blocks": []}
