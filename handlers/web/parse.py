"""Strict parsing of playground requests: anything unexpected is a BadRequest, nothing changes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.interaction import InteractionKind

MAX_TEXT = 4000
MAX_ID = 200
MAX_VALUE = 10_000
MAX_FIELDS = 50
MAX_ADVANCE = timedelta(days=366)
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class BadRequest(ValueError):
    """A request the playground refuses, with a message safe to show (no payload text)."""


@dataclass(frozen=True)
class InteractRequest:
    """A validated POST /api/interact body."""

    person_id: int
    kind: InteractionKind
    text: str = ""
    action_id: str = ""
    value: str = ""
    form_id: str = ""
    values: Mapping[str, str] = field(default_factory=dict)
    after: int | None = None


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"{name} must be a non-negative integer")
    return value


def _str(value: object, name: str, limit: int, *, blank: bool = False) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    if not blank and not value.strip():
        raise BadRequest(f"{name} must not be empty")
    return value


def _only(body: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)[:200]}")


def _values(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise BadRequest("values must be an object of strings")
    if len(raw) > MAX_FIELDS:
        raise BadRequest(f"values has more than {MAX_FIELDS} fields")
    out: dict[str, str] = {}
    for key, value in raw.items():
        name = _str(key, "a field name", MAX_ID)
        out[name] = _str(value, f"values.{name}", MAX_VALUE, blank=True)
    return out


def interact(body: object) -> InteractRequest:
    """Validate an interaction: person_id and exactly one of text, action, or form."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    _only(body, {"person_id", "text", "action_id", "value", "form_id", "values", "after"})
    if "person_id" not in body:
        raise BadRequest("person_id is required")
    person_id = _int(body["person_id"], "person_id")
    after = _int(body["after"], "after") if body.get("after") is not None else None
    modes = [m for m in ("text", "action_id", "form_id") if m in body]
    if len(modes) != 1:
        raise BadRequest("send exactly one of: text, action_id (with value), form_id (with values)")
    if "value" in body and modes != ["action_id"]:
        raise BadRequest("value goes with action_id")
    if "values" in body and modes != ["form_id"]:
        raise BadRequest("values go with form_id")
    mode = modes[0]
    if mode == "text":
        text = _str(body["text"], "text", MAX_TEXT)
        return InteractRequest(person_id=person_id, kind="text", text=text.strip(), after=after)
    if mode == "action_id":
        return InteractRequest(
            person_id=person_id,
            kind="action",
            action_id=_str(body["action_id"], "action_id", MAX_ID),
            value=_str(body.get("value", ""), "value", MAX_VALUE, blank=True),
            after=after,
        )
    return InteractRequest(
        person_id=person_id,
        kind="submit",
        form_id=_str(body["form_id"], "form_id", MAX_ID),
        values=_values(body.get("values", {})),
        after=after,
    )


@dataclass(frozen=True)
class AdvanceRequest:
    """A validated POST /api/clock body: how far to move, and whose zone to show the time in."""

    delta: timedelta
    person_id: int = 0


def advance(body: object) -> AdvanceRequest:
    """Validate a clock move: {"advance": "1h" | "1d" | "1w" | "<n>[smhdw]" | seconds}."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    _only(body, {"advance", "person_id"})
    person_id = _int(body["person_id"], "person_id") if "person_id" in body else 0
    raw = body.get("advance")
    if isinstance(raw, bool) or raw is None:
        raise BadRequest('advance is required: "1h", "1d", "1w" or a number of seconds')
    if isinstance(raw, int | float):
        if raw != raw or raw < 0:  # NaN or negative
            raise BadRequest("advance must not be negative: the clock only moves forward")
        seconds = float(raw)
    elif isinstance(raw, str):
        match = _DURATION.match(raw)
        if match is None:
            raise BadRequest('advance must look like "1h", "1d", "1w" or a number of seconds')
        seconds = float(int(match.group(1)) * _UNITS[match.group(2)])
    else:
        raise BadRequest('advance must be "1h", "1d", "1w" or a number of seconds')
    if seconds > MAX_ADVANCE.total_seconds():
        raise BadRequest("advance is limited to 366 days at a time")
    return AdvanceRequest(delta=timedelta(seconds=seconds), person_id=person_id)


def query_int(query: Mapping[str, str], name: str, *, default: int | None = None) -> int:
    """A non-negative integer query parameter."""
    raw = query.get(name)
    if raw is None or raw == "":
        if default is None:
            raise BadRequest(f"{name} is required")
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise BadRequest(f"{name} must be a non-negative integer")
    return int(raw)
