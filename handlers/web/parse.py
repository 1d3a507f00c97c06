"""Strict parsing of playground requests: anything unexpected is a BadRequest, nothing changes."""

from __future__ import annotations

import math
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
MAX_WAITING = 100
MAX_ADVANCE = timedelta(days=366)
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$")
# C0 controls but tab and line feed, DEL, and C1 controls: never part of typed text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ADVANCE_FORMS = (
    'a number of seconds or one of "1h", "1d", "1w" (any whole number with s, m, h, d or w)'
)
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
    waiting: tuple[int, ...] = ()


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"{name} must be a non-negative integer")
    return value


def clean(text: str) -> str:
    """`text` with line breaks as \\n and control characters (but tab and \\n) removed."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _str(value: object, name: str, limit: int, *, blank: bool = False) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    value = clean(value)
    if not blank and not value.strip():
        raise BadRequest(f"{name} must not be empty")
    return value


def _ids(raw: object, name: str) -> tuple[int, ...]:
    if not isinstance(raw, list):
        raise BadRequest(f"{name} must be a list of message ids")
    if len(raw) > MAX_WAITING:
        raise BadRequest(f"{name} has more than {MAX_WAITING} ids")
    return tuple(_int(item, f"each of {name}") for item in raw)


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
    _only(
        body, {"person_id", "text", "action_id", "value", "form_id", "values", "after", "waiting"}
    )
    if "person_id" not in body:
        raise BadRequest("person_id is required")
    person_id = _int(body["person_id"], "person_id")
    after = _int(body["after"], "after") if body.get("after") is not None else None
    waiting = _ids(body.get("waiting", []), "waiting")
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
        return InteractRequest(
            person_id=person_id, kind="text", text=text.strip(), after=after, waiting=waiting
        )
    if mode == "action_id":
        return InteractRequest(
            person_id=person_id,
            kind="action",
            action_id=_str(body["action_id"], "action_id", MAX_ID),
            value=_str(body.get("value", ""), "value", MAX_VALUE, blank=True),
            after=after,
            waiting=waiting,
        )
    return InteractRequest(
        person_id=person_id,
        kind="submit",
        form_id=_str(body["form_id"], "form_id", MAX_ID),
        values=_values(body.get("values", {})),
        after=after,
        waiting=waiting,
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
    seconds = _seconds(body.get("advance"))
    if seconds > MAX_ADVANCE.total_seconds():
        raise BadRequest("advance is limited to 366 days at a time")
    return AdvanceRequest(delta=timedelta(seconds=seconds), person_id=person_id)


def _seconds(raw: object) -> float:
    """How far a clock move goes, in seconds, with a message naming what was wrong."""
    if raw is None:
        raise BadRequest(f"advance is required: {_ADVANCE_FORMS}")
    if isinstance(raw, bool):
        raise BadRequest(f"advance must be {_ADVANCE_FORMS}; true and false are not durations")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise BadRequest(f"advance must be {_ADVANCE_FORMS}; NaN and infinity are not durations")
    if isinstance(raw, int | float):
        if raw < 0:
            raise BadRequest("advance must not be negative: the clock only moves forward")
        if raw > MAX_ADVANCE.total_seconds():
            raise BadRequest("advance is limited to 366 days at a time")
        return float(raw)
    if not isinstance(raw, str):
        raise BadRequest(f"advance must be {_ADVANCE_FORMS}")
    match = _DURATION.match(raw)
    if match is None:
        if raw.strip().startswith("-"):
            raise BadRequest("advance must not be negative: the clock only moves forward")
        raise BadRequest(f"advance must be {_ADVANCE_FORMS}")
    return float(int(match.group(1)) * _UNITS[match.group(2)])


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


def query_ids(query: Mapping[str, str], name: str) -> tuple[int, ...]:
    """A comma-separated list of message ids (empty when absent)."""
    raw = query.get(name, "")
    parts = [part for part in raw.split(",") if part] if raw else []
    if len(parts) > MAX_WAITING:
        raise BadRequest(f"{name} has more than {MAX_WAITING} ids")
    return tuple(query_int({name: part}, name) for part in parts)
