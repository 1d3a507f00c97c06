"""What goes to the model and what may come back: templates from prompts/llm, the verdict type."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, field_validator

from bot.safety.lexicon import LOGISTICS_COMMANDS, RISK_CATEGORIES
from prompts import llm_template

COMMANDS = frozenset(LOGISTICS_COMMANDS)
COMMAND_ALIASES = {"cancel": "sessions", "move": "sessions", "settings": "nudges"}
"""Words a model may use for a command: moving or cancelling happens from the sessions list."""
MAX_MESSAGE_CHARS = 4_000
MAX_ITEM_CHARS = 2_000
MAX_ITEMS = 40
_MARKERS = re.compile(r"<<<|>>>")
_FENCE = re.compile(r"^```[a-z]*\s*|\s*```$", re.I)


class LlmVerdict(BaseModel):
    """The classifier's answer for one message; it routes, it is never shown to anyone."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["logistics", "developmental", "risk", "unsure"]
    command: str | None
    confidence: float
    category: str | None = None

    @field_validator("command")
    @classmethod
    def _known_command(cls, value: str | None) -> str | None:
        name = (value or "").strip().lower()
        name = COMMAND_ALIASES.get(name, name)
        return name if name in COMMANDS else None

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        name = (value or "").strip().lower()
        return name if name in RISK_CATEGORIES else None

    @field_validator("confidence")
    @classmethod
    def _probability(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("confidence must be between 0 and 1")
        return value


@dataclass(frozen=True)
class SharedItem:
    """One text a leader chose to share with their coach, with its date and kind."""

    text: str
    on: date
    kind: str = "reflection"


@dataclass(frozen=True)
class Template:
    """A prompt template: system and user text with {placeholders}, and its token bound."""

    system: str
    user: str
    max_tokens: int


def template(name: str) -> Template:
    """The template `prompts/llm/<name>.toml`, checked for its fields."""
    data = llm_template(name)
    max_tokens = int(data["max_tokens"])
    if not 1 <= max_tokens <= 1_000:
        raise ValueError(f"prompts/llm/{name}.toml: max_tokens must be 1..1000")
    return Template(
        system=str(data["system"]).strip(), user=str(data["user"]).strip(), max_tokens=max_tokens
    )


def _data(text: str, limit: int) -> str:
    """Leader text as inert data: our markers removed, length bounded."""
    return _MARKERS.sub("", text).strip()[:limit]


def _messages(system: str, user: str) -> list[ChatCompletionMessageParam]:
    """A system and a user message."""
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def classify_messages(tpl: Template, *, text: str, locale: str) -> list[ChatCompletionMessageParam]:
    """The messages that ask to label one message."""
    user = tpl.user.format(locale=_data(locale, 16) or "en", message=_data(text, MAX_MESSAGE_CHARS))
    return _messages(tpl.system, user)


def synthesis_messages(
    tpl: Template, *, items: list[SharedItem], first_name: str
) -> list[ChatCompletionMessageParam]:
    """The messages that ask for a synthesis of one leader's shared items (newest kept)."""
    kept = sorted((i for i in items if i.text.strip()), key=lambda i: i.on)[-MAX_ITEMS:]
    blocks = [
        f"<<<ITEM {n} ({_data(i.kind, 24)}, {i.on.isoformat()})\n"
        f"{_data(i.text, MAX_ITEM_CHARS)}\nITEM>>>"
        for n, i in enumerate(kept, 1)
    ]
    name = _data(first_name, 40).split(" ")[0] or "the leader"
    system = tpl.system.format(first_name=name)
    return _messages(system, tpl.user.format(first_name=name, items="\n".join(blocks)))


def verdict_from_text(content: str) -> LlmVerdict:
    """Validate a JSON answer (optionally in a ``` fence) as a verdict; raise if it is not one."""
    raw = _FENCE.sub("", content.strip())
    start, end = raw.find("{"), raw.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object")
    data = json.loads(raw[start : end + 1])
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    data.setdefault("command", None)
    return LlmVerdict.model_validate(data)
