"""The neutral outbound UI model: every adapter renders a Message its own way."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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

    def to_payload(self) -> dict[str, Any]:
        """This message as a JSON-ready dict (what the outbox stores, encrypted)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Message:
        """Rebuild a message from its stored payload."""
        return cls.model_validate(payload)
