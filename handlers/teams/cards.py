"""Message -> Teams message activities carrying Adaptive Cards 1.5 (split under the size limit).

Action.Submit data: a button sends {"a": action_id, "v": value} (associatedInputs "none", so no
input of the card can overwrite "v"); a choice list is an Input.ChoiceSet with id "v" plus an
Action.Submit {"a": action_id}; a form sends {"f": form_id, "c": context, <field name>: value}.
A card holds at most one choice list or form, so one submit never carries another's inputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.ui import Attachment, Button, Choices, Fact, Form, FormField, Message, literal, plain
from handlers.teams.markdown import cut, pieces, plain_text
from prompts import Copy

Json = dict[str, Any]
T = TypeVar("T")

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ACTIVITY_BYTES = 28_000  # the whole activity as UTF-8 JSON (Teams' message limit is ~28 KB)
FALLBACK_LIMIT = 300
BUTTON_TITLE_LIMIT = 40
ACTIONS_PER_SET = 5
FACTS_PER_SET = 10
FACT_LIMIT = 500  # a longer fact (label + value) is shown as text blocks instead
VALUE_LIMIT = 2000  # a button's or an option's value
RESERVED_NAMES = frozenset({"a", "v", "f", "c"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class _Unit:
    """Body elements that must stay together in one card; `inputs`: holds Input.* elements."""

    elements: tuple[Json, ...]
    inputs: bool = False


def message_activities(message: Message, *, copy: Copy) -> list[Json]:
    """`message` as outbound message activities, in order, each under 28 KB of JSON."""
    fallback = card_text(message)
    units = _text(message.title, weight="Bolder", size="Medium")
    units += _text(message.text) + _facts(message.facts, fallback)
    units += _grouped(message.buttons, ACTIONS_PER_SET, _buttons_unit, fallback)
    if message.choices is not None:
        units += _choices(message.choices, copy, fallback)
    if message.form is not None:
        units.append(_form(message.form, copy, fallback))
    units += _attachments(message.attachments, copy)
    units += _text(message.footer, size="Small", isSubtle=True)
    return [activity(body, fallback) for body in _pack(units, fallback)]


def card_text(message: Message) -> str:
    """Short plain fallback text (title and text, marks removed) for notifications."""
    parts = [message.title, message.text]
    if not "".join(parts).strip():  # no words of its own: say what it holds
        parts = [f"{f.label}: {f.value}" for f in message.facts] + [message.footer]
        parts += [b.label for b in message.buttons]
        parts += [message.form.title] if message.form is not None else []
    shown = "\n".join(plain_text(p).strip() for p in parts if p.strip())
    return cut(shown, FALLBACK_LIMIT)


def activity(body: Sequence[Json], fallback: str) -> Json:
    """One message activity with one Adaptive Card (1.5) of `body`; `fallback` as plain text."""
    card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": list(body)}
    if fallback:
        card["fallbackText"] = fallback
    out: Json = {"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE}]}
    out["attachments"][0]["content"] = card
    if fallback:  # no `text`: Teams would show it as a second message beside the card
        out["summary"] = fallback
    return out


def size_of(payload: Json) -> int:
    """Bytes of `payload` as JSON, the largest usual way (spaced, non-ASCII as \\u escapes)."""
    return len(json.dumps(payload))  # >= compact and UTF-8 serializations of the same payload


def _pack(units: list[_Unit], fallback: str) -> list[list[Json]]:
    cards: list[list[Json]] = [[]]
    has_inputs = False
    for unit in units:
        grown = [*cards[-1], *unit.elements]
        clash = unit.inputs and has_inputs
        if cards[-1] and (clash or size_of(activity(grown, fallback)) > ACTIVITY_BYTES):
            cards.append([])
            has_inputs = False
            grown = list(unit.elements)
        if size_of(activity(grown, fallback)) > ACTIVITY_BYTES:
            kinds = [element["type"] for element in grown]
            raise ValueError(f"a card part is over {ACTIVITY_BYTES} bytes on its own: {kinds}")
        cards[-1] = grown
        has_inputs = has_inputs or unit.inputs
    return cards


def _fits(unit: _Unit, fallback: str) -> bool:
    return size_of(activity(unit.elements, fallback)) <= ACTIVITY_BYTES


def _grouped(
    items: Sequence[T], most: int, make: Callable[[list[T]], _Unit], fallback: str
) -> list[_Unit]:
    """Units of `items`, <= `most` each and each small enough for a card (by measure)."""
    out: list[_Unit] = []
    group: list[T] = []
    for item in items:
        if group and (len(group) == most or not _fits(make([*group, item]), fallback)):
            out.append(make(group))
            group = []
        group.append(item)
    return out + ([make(group)] if group else [])


def _text(text: str, **style: Any) -> list[_Unit]:
    elements = []
    for number, (shown, paragraph) in enumerate(pieces(text)):
        block: Json = {"type": "TextBlock", "text": shown, "wrap": True, **style}
        if number and not paragraph:
            block["spacing"] = "None"
        elements.append(_Unit((block,)))
    return elements


def _facts(facts: tuple[Fact, ...], fallback: str) -> list[_Unit]:
    out: list[_Unit] = []
    short: list[Fact] = []
    for fact in facts:
        if len(fact.label) + len(fact.value) <= FACT_LIMIT and "\n" not in fact.label + fact.value:
            short.append(fact)
            continue
        out += _grouped(short, FACTS_PER_SET, _facts_unit, fallback)
        out += _text(f"*{fact.label}*") + _text(fact.value)  # too long for a FactSet: text
        short = []
    return out + _grouped(short, FACTS_PER_SET, _facts_unit, fallback)


def _facts_unit(facts: list[Fact]) -> _Unit:
    shown = [{"title": _inline(f.label), "value": _inline(f.value)} for f in facts]
    return _Unit(({"type": "FactSet", "facts": shown},))


def _inline(text: str) -> str:
    return " ".join(shown for shown, _ in pieces(text, len(text) + 1))


def _buttons_unit(buttons: list[Button]) -> _Unit:
    return _Unit(({"type": "ActionSet", "actions": [_button(b) for b in buttons]},))


def _button(button: Button) -> Json:
    if len(button.value) > VALUE_LIMIT:
        raise ValueError(f"button {button.action_id!r}: value over {VALUE_LIMIT} chars")
    action: Json = {
        "type": "Action.Submit",
        "title": cut(plain(button.label), BUTTON_TITLE_LIMIT),
        "data": {"a": button.action_id, "v": button.value},
        "associatedInputs": "none",
    }
    if button.style != "default":
        action["style"] = "positive" if button.style == "primary" else "destructive"
    return action


def _choices(choices: Choices, copy: Copy, fallback: str) -> list[_Unit]:
    for option in choices.options:
        if len(option.value) > VALUE_LIMIT:
            raise ValueError(f"option {option.label!r}: value over {VALUE_LIMIT} chars")
    options = [{"title": plain(o.label), "value": o.value} for o in choices.options]

    def make(group: list[Json], placeholder: str = plain(choices.placeholder)) -> _Unit:
        select: Json = {"type": "Input.ChoiceSet", "id": "v", "style": "compact", "choices": group}
        select.update(placeholder=placeholder, isRequired=True)
        select["errorMessage"] = copy("teams.choose_one")
        submit: Json = {"type": "Action.Submit", "title": copy("teams.choose")}
        submit.update(data={"a": choices.action_id}, style="positive")
        return _Unit((select, {"type": "ActionSet", "actions": [submit]}), inputs=True)

    if _fits(make(options), fallback):
        return [make(options)]
    widest = f"{plain(choices.placeholder)} ({len(options)}–{len(options)})"  # measure with it
    groups = _grouped(options, len(options), lambda group: make(group, widest), fallback)
    out, first = [], 1
    for unit in groups:  # several lists: say which options each holds
        group = unit.elements[0]["choices"]
        last = first + len(group) - 1
        out.append(make(group, f"{plain(choices.placeholder)} ({first}–{last})"))
        first = last + 1
    return out


def _form(form: Form, copy: Copy, fallback: str) -> _Unit:
    names = [field.name for field in form.fields]
    bad = sorted(RESERVED_NAMES.intersection(names)) + sorted({n for n in names if not n})
    if bad or len(set(names)) != len(names):
        raise ValueError(f"form {form.form_id!r}: field names must be unique, not a/v/f/c/empty")
    title = [u.elements[0] for u in _text(form.title, weight="Bolder")]
    submit: Json = {"type": "Action.Submit", "title": plain(form.submit_label), "style": "positive"}
    submit["data"] = {"f": form.form_id, "c": form.context}
    actions = {"type": "ActionSet", "actions": [submit]}
    unit = _Unit((*title, *(_input(f, copy) for f in form.fields), actions), inputs=True)
    if not _fits(unit, fallback):
        raise ValueError(
            f"form {form.form_id!r}: {size_of(activity(unit.elements, fallback))} bytes, over "
            f"the {ACTIVITY_BYTES} a card may hold; a form never splits: shorten it"
        )
    return unit


def _input(field: FormField, copy: Copy) -> Json:
    out: Json = {"id": field.name, "label": plain(field.label), "isRequired": field.required}
    if field.required:
        out["errorMessage"] = copy("teams.required")
    if field.placeholder.strip():
        out["placeholder"] = plain(field.placeholder)
    if field.kind in ("text", "multiline"):
        out.update(type="Input.Text", maxLength=max(1, field.max_length))
        if field.kind == "multiline":
            out["isMultiline"] = True
        if field.initial:
            out["value"] = field.initial
    elif field.kind == "select":
        choices = [{"title": plain(o.label), "value": o.value} for o in field.options]
        out.update(type="Input.ChoiceSet", style="compact", choices=choices)
        if field.initial in {o.value for o in field.options}:
            out["value"] = field.initial
    elif field.kind == "number":
        out.update(type="Input.Number", errorMessage=copy("teams.invalid_number"))
        if _NUMBER.fullmatch(field.initial):
            number = float(field.initial)
            out["value"] = int(number) if number.is_integer() else number
    else:
        out["type"] = "Input.Date" if field.kind == "date" else "Input.Time"
        pattern = _DATE if field.kind == "date" else _TIME
        if pattern.fullmatch(field.initial):
            out["value"] = field.initial
    return out


def _attachments(attachments: tuple[Attachment, ...], copy: Copy) -> list[_Unit]:
    named = [copy("teams.attachment", filename=literal(a.filename)) for a in attachments]
    return [unit for name in named for unit in _text(name, size="Small")]
