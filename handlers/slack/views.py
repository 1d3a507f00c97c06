"""Form -> Slack modal view; home Messages -> App Home view; modal private_metadata codec."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    NumberInputElement,
    OptionGroup,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.ui import Form, FormField, Message, plain
from handlers.slack.blocks import (
    LABEL_LIMIT,
    OPTIONS_PER_SELECT,
    PLACEHOLDER_LIMIT,
    TEXT_LIMIT,
    context_blocks,
    message_blocks,
    select_option,
    text_blocks,
)
from handlers.slack.mrkdwn import cut, escape
from prompts import Copy

Json = dict[str, Any]
Element = (
    PlainTextInputElement
    | StaticSelectElement
    | NumberInputElement
    | DatePickerElement
    | TimePickerElement
)

CALLBACK_ID = "coach.form"
VALUE_ACTION_ID = "v"
VIEW_BLOCKS = 100
VIEW_LABEL_LIMIT = 24  # modal title, submit and close
METADATA_LIMIT = 3000
INPUT_LABEL_LIMIT = 2000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}")
_INTEGER = re.compile(r"-?\d+")


def modal_view(form: Form, *, copy: Copy, intro: str = "", replaces: str = "") -> Json:
    """`form` as a modal (callback_id "coach.form"): `intro` text on top, one input per field."""
    blocks = text_blocks(intro) if intro.strip() else []
    blocks += [_input(field) for field in form.fields]
    if len(blocks) > VIEW_BLOCKS:
        raise ValueError(f"form {form.form_id!r}: {len(blocks)} blocks, a modal holds 100")
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=_label(form.title),
        submit=_label(form.submit_label),
        close=_label(copy("slack.cancel")),
        private_metadata=encode_metadata(form.form_id, form.context, replaces),
        blocks=blocks,
    )
    return view.to_dict()


def encode_metadata(form_id: str, context: str, replaces: str = "") -> str:
    """The modal's private_metadata: JSON {"f", "c", "m"}; ValueError over 3,000 chars."""
    text = json.dumps({"f": form_id, "c": context, "m": replaces}, separators=(",", ":"))
    if len(text) > METADATA_LIMIT:
        raise ValueError(
            f"form {form_id!r}: private_metadata is {len(text)} chars, Slack allows "
            f"{METADATA_LIMIT}; keep the form context a short id"
        )
    return text


def decode_metadata(text: str) -> tuple[str, str, str]:
    """(form_id, context, replaces) from a modal's private_metadata; ValueError on junk."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as error:
        raise ValueError(f"modal private_metadata is not JSON: {text[:80]!r}") from error
    if not isinstance(data, dict):
        raise ValueError("modal private_metadata is not a JSON object")
    form_id, context, replaces = data.get("f"), data.get("c", ""), data.get("m", "")
    if not isinstance(form_id, str) or not form_id:
        raise ValueError("modal private_metadata has no form id ('f')")
    if not isinstance(context, str) or not isinstance(replaces, str):
        raise ValueError("modal private_metadata: 'c' and 'm' must be strings")
    return form_id, context, replaces


def home_view(sections: list[Message], copy: Copy) -> Json:
    """An App Home view of `sections` with dividers between; cut at a section past 100 blocks."""
    blocks: list[Json] = []
    for number, section in enumerate(sections):
        part = ([{"type": "divider"}] if number else []) + message_blocks(section, copy=copy)
        room = VIEW_BLOCKS if number == len(sections) - 1 else VIEW_BLOCKS - 1
        if len(blocks) + len(part) > room:  # keep one block to say there is more
            blocks = (blocks or part[: VIEW_BLOCKS - 1]) + _more(copy)
            break
        blocks += part
    if not blocks:
        return {"type": "home", "blocks": []}
    return View(type="home", blocks=blocks).to_dict()


def _more(copy: Copy) -> list[Json]:
    return context_blocks([escape(copy("slack.more_in_chat"))])


def _label(text: str) -> PlainTextObject:
    return PlainTextObject(text=cut(plain(text), VIEW_LABEL_LIMIT))


def _input(field: FormField) -> Json:
    block = InputBlock(
        block_id=field.name,
        label=PlainTextObject(text=cut(plain(field.label), INPUT_LABEL_LIMIT)),
        element=_element(field),
        optional=not field.required,
    )
    return block.to_dict()


def _placeholder(field: FormField) -> PlainTextObject | None:
    if not field.placeholder.strip():
        return None
    return PlainTextObject(text=cut(plain(field.placeholder), PLACEHOLDER_LIMIT))


def _element(field: FormField) -> Element:
    placeholder = _placeholder(field)
    if field.kind in ("text", "multiline"):
        return PlainTextInputElement(
            action_id=VALUE_ACTION_ID,
            placeholder=placeholder,
            initial_value=field.initial or None,
            multiline=field.kind == "multiline" or None,
            max_length=max(1, min(field.max_length, TEXT_LIMIT)),
        )
    if field.kind == "select":
        return _select(field, placeholder)
    if field.kind == "number":
        initial = field.initial if _INTEGER.fullmatch(field.initial) else None
        return NumberInputElement(
            action_id=VALUE_ACTION_ID,
            is_decimal_allowed=False,
            initial_value=initial,
            placeholder=placeholder,
        )
    if field.kind == "date":
        initial = field.initial if _DATE.fullmatch(field.initial) else None
        return DatePickerElement(
            action_id=VALUE_ACTION_ID, placeholder=placeholder, initial_date=initial
        )
    initial = field.initial if _TIME.fullmatch(field.initial) else None
    return TimePickerElement(
        action_id=VALUE_ACTION_ID, placeholder=placeholder, initial_time=initial
    )


def _select(field: FormField, placeholder: PlainTextObject | None) -> StaticSelectElement:
    options = [select_option(o.label, o.value) for o in field.options]
    chosen = [
        option for o, option in zip(field.options, options, strict=True) if o.value == field.initial
    ]
    if len(options) <= OPTIONS_PER_SELECT:
        return StaticSelectElement(
            action_id=VALUE_ACTION_ID,
            placeholder=placeholder,
            options=options,
            initial_option=chosen[0] if chosen else None,
        )
    groups = [
        OptionGroup(
            label=cut(f"{at + 1}–{min(at + OPTIONS_PER_SELECT, len(options))}", LABEL_LIMIT),
            options=options[at : at + OPTIONS_PER_SELECT],
        )
        for at in range(0, len(options), OPTIONS_PER_SELECT)
    ]
    return StaticSelectElement(
        action_id=VALUE_ACTION_ID,
        placeholder=placeholder,
        option_groups=groups,
        initial_option=chosen[0] if chosen else None,
    )
