"""The neutral outbound UI model: every adapter renders a Message its own way."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Marks around a span of Message text (or footer, or fact value) that renderers show literally:
# no *bold*, no `code`, nothing a person typed is ever read as formatting. SO/SI never occur
# in what people type (forms refuse control characters) and literal() removes them anyway.
LITERAL_OPEN, LITERAL_CLOSE = "\x0e", "\x0f"
_LITERAL_SPAN = re.compile("\x0e([^\x0e\x0f]*)\x0f")


def literal(text: str) -> str:
    """`text` (a person's own words, one line) marked to be shown exactly as written in a message.

    Every renderer must honour it: the web escapes it for HTML but applies no formatting; a Slack
    renderer must keep mrkdwn out of it (e.g. an unstyled rich_text `text` element); a Teams
    renderer must too (e.g. a plain `TextRun`, or backslash-escaped markdown). See `segments`.
    """
    clean = text.replace(LITERAL_OPEN, "").replace(LITERAL_CLOSE, "")
    return f"{LITERAL_OPEN}{clean}{LITERAL_CLOSE}"


def plain(text: str) -> str:
    """`text` with the literal marks removed (for plain-text fallbacks and previews)."""
    return text.replace(LITERAL_OPEN, "").replace(LITERAL_CLOSE, "")


def segments(text: str) -> list[tuple[str, bool]]:
    """`text` split into (part, is_literal) pairs, markers removed (stray ones are dropped)."""
    out: list[tuple[str, bool]] = []
    at = 0
    for found in _LITERAL_SPAN.finditer(text):
        out.append((text[at : found.start()], False))
        out.append((found[1], True))
        at = found.end()
    out.append((text[at:], False))
    strays = str.maketrans("", "", LITERAL_OPEN + LITERAL_CLOSE)
    return [(part.translate(strays), lit) for part, lit in out if part]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Fact(_Frozen):
    """A label and a value shown side by side (e.g. 'Coach' / 'Ana Ruiz')."""

    label: str
    value: str


class Button(_Frozen):
    """A button that sends `action_id` with `value` back to the core when clicked."""

    label: str
    action_id: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"


class Option(_Frozen):
    """One option of a choice list or a select field."""

    label: str
    value: str


class Choices(_Frozen):
    """A pick-one list; picking sends `action_id` with the option's value."""

    action_id: str
    placeholder: str
    options: tuple[Option, ...]


class FormField(_Frozen):
    """One input of a form."""

    name: str
    label: str
    kind: Literal["text", "multiline", "select", "number", "date", "time"] = "text"
    required: bool = True
    placeholder: str = ""
    initial: str = ""
    max_length: int = 3000
    options: tuple[Option, ...] = ()


class Form(_Frozen):
    """A form (a modal on Slack, a card on Teams) submitted as `form_id` with field values."""

    form_id: str
    title: str
    submit_label: str
    fields: tuple[FormField, ...]
    context: str = ""


class Attachment(_Frozen):
    """A small file sent with a message, e.g. a calendar invite (`text/calendar`)."""

    filename: str
    media_type: str
    content: str


class Message(_Frozen):
    """One message to one person: text plus optional facts, buttons, choices, form, files."""

    text: str
    title: str = ""
    facts: tuple[Fact, ...] = ()
    buttons: tuple[Button, ...] = ()
    choices: Choices | None = None
    form: Form | None = None
    footer: str = ""
    attachments: tuple[Attachment, ...] = ()
    replaces: str = Field(default="", description="dedupe key of an earlier message to update")
    key: str = Field(default="", description="dedupe key to queue this message under, if any")

    def to_payload(self) -> dict[str, Any]:
        """This message as a JSON-ready dict (what the outbox stores, encrypted)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Message:
        """Rebuild a message from its stored payload."""
        return cls.model_validate(payload)
