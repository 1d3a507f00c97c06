"""The neutral inbound shape: who said what, when, on which channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.safety.classify import Verdict
from storage.models import Person

InteractionKind = Literal["command", "action", "submit", "text"]


@dataclass(frozen=True)
class Interaction:
    """One thing a resolved person did: a command, a button or choice, a form, or free text."""

    who: Person
    channel: str
    kind: InteractionKind
    now: datetime
    text: str = ""
    action_id: str = ""
    value: str = ""
    form_id: str = ""
    form: Mapping[str, str] = field(default_factory=dict)
    event_id: str | None = None
    tenant_key: str = ""
    hint: Verdict | None = None
    """Typed text only: the model's verdict, asked before the turn (see bot.refine)."""

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Interaction.now must be timezone-aware")
