"""Inbound Teams message activity -> neutral parts: typed text, a clicked action, a form submit.

The value conventions are those of handlers/teams/cards.py: {"a", "v"} for a button or a choice
list, {"f", "c", <field name>: value} for a form. Anything else is "invalid" with a short
reason (for logs); the edge answers the person (e.g. "that button has expired").
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

VALUE_LIMIT = 100_000  # characters of any one inbound string (the core checks its own limits)
RESERVED = frozenset({"a", "v", "f", "c"})
_LEADING_MENTION = re.compile(r"^\s*<at>[^<]*</at>")

Kind = Literal["text", "action", "submit", "invalid"]


@dataclass(frozen=True)
class Submitted:
    """What a person sent: text, an action (id + value), a form submit, or invalid (reason)."""

    kind: Kind
    text: str = ""
    action_id: str = ""
    value: str = ""
    form_id: str = ""
    context: str = ""
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    reason: str = ""


def parse(activity: Mapping[str, Any]) -> Submitted:
    """The neutral parts of an inbound message activity (a dict as Teams posts it)."""
    if not isinstance(activity, Mapping) or activity.get("type") != "message":
        return invalid("not a message activity")
    value = activity.get("value")
    if value is None:
        return _text(activity)
    if not isinstance(value, Mapping):
        return invalid("value is not an object")
    if "f" in value:
        return _submit(value)
    if "a" in value:
        return _action(value)
    return invalid("value has no action ('a') or form ('f') id")


def invalid(reason: str) -> Submitted:
    """An invalid submission with `reason` (for logs, never shown to the person)."""
    return Submitted(kind="invalid", reason=reason)


def as_text(raw: object) -> str | None:
    """A submitted value as text: strings kept, numbers and booleans written out, None -> ""."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    return raw if isinstance(raw, str) else None


def without_mentions(activity: Mapping[str, Any], text: str) -> str:
    """`text` without the bot's own <at>…</at> mention(s), whitespace trimmed."""
    bot = activity.get("recipient")
    bot_id = bot.get("id") if isinstance(bot, Mapping) else None
    entities = activity.get("entities")
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, Mapping) or entity.get("type") != "mention":
            continue
        mentioned, shown = entity.get("mentioned"), entity.get("text")
        who = mentioned.get("id") if isinstance(mentioned, Mapping) else None
        if bot_id and who == bot_id and isinstance(shown, str) and shown:
            text = text.replace(shown, " ")
    return _LEADING_MENTION.sub(" ", text).strip()


def _text(activity: Mapping[str, Any]) -> Submitted:
    raw = activity.get("text")
    text = raw if isinstance(raw, str) else ""
    if len(text) > VALUE_LIMIT:
        return invalid(f"text over {VALUE_LIMIT} characters")
    return Submitted(kind="text", text=unformatted(without_mentions(activity, text)))


_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def unformatted(text: str) -> str:
    """What the person typed, without Teams' HTML and **bold** / __bold__ markup."""
    plain = text
    if _TAG.search(text):
        plain = html.unescape(_TAG.sub(" ", _BREAK.sub("\n", text)))
    lines = (" ".join(line.split()) for line in _EMPHASIS.sub(r"\2", plain).splitlines())
    return "\n".join(lines).strip()


def _id(value: Mapping[str, Any], key: str) -> str | None:
    raw = value.get(key)
    return raw if isinstance(raw, str) and raw.strip() and len(raw) <= VALUE_LIMIT else None


def _action(value: Mapping[str, Any]) -> Submitted:
    action_id = _id(value, "a")
    if action_id is None:
        return invalid("action id ('a') is not a non-empty string")
    chosen = as_text(value.get("v"))
    if chosen is None or len(chosen) > VALUE_LIMIT:
        return invalid("action value ('v') is not a short string")
    return Submitted(kind="action", action_id=action_id, value=chosen)


def _submit(value: Mapping[str, Any]) -> Submitted:
    form_id = _id(value, "f")
    context = as_text(value.get("c"))
    if form_id is None:
        return invalid("form id ('f') is not a non-empty string")
    if not isinstance(context, str) or len(context) > VALUE_LIMIT:
        return invalid("form context ('c') is not a short string")
    fields: dict[str, str] = {}
    for name, raw in value.items():
        if name in RESERVED or name.startswith("msteams") or isinstance(raw, dict | list):
            continue  # e.g. "msteams": {...} that some clients add
        shown = as_text(raw)
        if shown is None or len(shown) > VALUE_LIMIT:
            return invalid(f"field {name[:40]!r}: not a short string")
        fields[name] = shown
    return Submitted(
        kind="submit", form_id=form_id, context=context, fields=MappingProxyType(fields)
    )
