"""What an import reports: problems found before writing, and counts of what it wrote."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
Loc = tuple[str | int, ...]

KINDS = (
    "organisation",
    "slack_workspace",
    "teams_tenant",
    "programme",
    "coach",
    "availability",
    "leader",
    "identity",
    "engagement",
)


FILE = "file"  # the place of a problem with the whole file (empty, unreadable, no header)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where it is and what is expected instead."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class At:
    """Where an item sits in its file; `where('timezone')` names one of its fields."""

    render: Callable[[Loc], str]
    base: Loc = ()

    def where(self, *more: str | int) -> str:
        """E.g. 'line 7, column timezone' or 'coaches[2].timezone (line 31)'."""
        return self.render(self.base + more)

    def where_loc(self, loc: Loc) -> str:
        """Like `where`, for a location tuple (as pydantic reports it)."""
        return self.render(self.base + loc)


def csv_line(line: int) -> At:
    """A place on one physical line of a CSV file."""

    def render(loc: Loc) -> str:
        return f"line {line}, column {loc[0]}" if loc else f"line {line}"

    return At(render)


@dataclass(frozen=True)
class Row(Generic[T]):
    """A validated item and where it came from."""

    item: T
    at: At


_LINE = re.compile(r"\bline (\d+)")


def _line(problem: Problem) -> int:
    found = _LINE.search(problem.where)
    return int(found[1]) if found else 0


class RosterError(Exception):
    """The file was rejected and nothing was written; `problems` says why, in line order."""

    def __init__(self, problems: Iterable[Problem], source: str = "") -> None:
        self.problems = sorted(problems, key=_line)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(prefix + str(p) for p in self.problems)


def _zeros() -> dict[str, int]:
    return dict.fromkeys(KINDS, 0)


@dataclass(frozen=True)
class ImportResult:
    """Per kind of row: how many an import created, updated, left unchanged (and removed).

    `skipped_erased` holds the places of people left out because they were erased at their
    request (e.g. 'line 7'); they are not created or updated until readmitted.
    """

    created: dict[str, int] = field(default_factory=_zeros)
    updated: dict[str, int] = field(default_factory=_zeros)
    unchanged: dict[str, int] = field(default_factory=_zeros)
    removed: dict[str, int] = field(default_factory=_zeros)
    skipped_erased: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the import created, updated or removed a row (then it is audited)."""
        return (
            any(self.created.values()) or any(self.updated.values()) or any(self.removed.values())
        )

    def counts(self) -> dict[str, dict[str, int]]:
        """The non-zero counts, for the audit log and for printing."""
        out: dict[str, dict[str, int]] = {}
        for name in ("created", "updated", "unchanged", "removed"):
            table: dict[str, int] = getattr(self, name)
            out[name] = {k: v for k, v in table.items() if v}
        return out

    def __str__(self) -> str:
        parts = []
        for name, table in self.counts().items():
            if table:
                parts.append(name + " " + ", ".join(_count(k, v) for k, v in table.items()))
        text = "; ".join(parts) if parts else "nothing to import"
        if self.skipped_erased:
            n = len(self.skipped_erased)
            who = "1 person" if n == 1 else f"{n} people"
            text += (
                f"; skipped {who} erased at their request ({', '.join(self.skipped_erased)}): "
                "see `python app.py privacy readmit`"
            )
        return text


_NOUNS = {
    "slack_workspace": ("Slack workspace", "Slack workspaces"),
    "teams_tenant": ("Teams tenant", "Teams tenants"),
    "coach": ("coach", "coaches"),
    "availability": ("availability window", "availability windows"),
    "identity": ("chat identity", "chat identities"),
}


def _count(kind: str, n: int) -> str:
    one, many = _NOUNS.get(kind, (kind, kind + "s"))
    return f"{n} {one if n == 1 else many}"


class Tally:
    """Mutable counters that become an ImportResult."""

    def __init__(self) -> None:
        self.created = _zeros()
        self.updated = _zeros()
        self.unchanged = _zeros()
        self.removed = _zeros()
        self.skipped_erased: list[str] = []

    def note(self, kind: str, outcome: str, n: int = 1) -> None:
        """Count `n` rows of `kind` as created, updated, unchanged or removed."""
        getattr(self, outcome)[kind] += n

    def result(self) -> ImportResult:
        """The frozen result."""
        return ImportResult(
            dict(self.created),
            dict(self.updated),
            dict(self.unchanged),
            dict(self.removed),
            list(self.skipped_erased),
        )
