"""Reading one item field by field, so a problem in one field hides nothing about the others."""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.roster.problems import At, Problem, Row
from bot.roster.schema import problems_of

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Entry(Generic[M]):
    """An item as read: the whole item when every field is valid, else the fields that are.

    Cross-row checks read fields through `get`, so they see every entry, even one with
    problems. A list of sub-items (availability, workspaces) holds None for each bad one.
    """

    at: At
    item: M | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """The field's value (its default when absent), or None when it could not be read."""
        if self.item is not None:
            return getattr(self.item, name)
        return self.fields.get(name)


def read_entry(model: type[M], raw: Any, at: At, problems: list[Problem]) -> Entry[M]:
    """`raw` read as `model`, every problem appended; the fields that are valid either way."""
    try:
        return Entry(at, model.model_validate(raw))
    except ValidationError as exc:
        problems.extend(problems_of(exc, at.where_loc))
    if not isinstance(raw, dict):
        return Entry(at)
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in raw:
            if not info.is_required():
                fields[name] = info.get_default(call_default_factory=True)
            continue
        sub = _item_model(model, name)
        try:
            if sub is None:
                fields[name] = _adapter(model, name).validate_python(raw[key])
            elif isinstance(raw[key], list):
                fields[name] = [_valid_or_none(sub, value) for value in raw[key]]
        except ValidationError:
            pass
    return Entry(at, None, fields)


def complete(entries: list[Entry[M]]) -> list[Row[M]]:
    """The entries as rows of whole items (only once validation found no problem)."""
    rows = []
    for entry in entries:
        if entry.item is None:
            raise RuntimeError("validation let an incomplete entry through")
        rows.append(Row(entry.item, entry.at))
    return rows


def _valid_or_none(model: type[BaseModel], raw: Any) -> BaseModel | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


@functools.cache
def _item_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The model of a `list[Model]` field's items, else None."""
    annotation = model.model_fields[name].annotation
    if typing.get_origin(annotation) is list:
        [item] = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


@functools.cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """A validator for one field of `model` on its own, with the field's own checks."""
    info = model.model_fields[name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    return TypeAdapter(annotation)
