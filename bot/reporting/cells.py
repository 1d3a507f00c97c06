"""A report cell: one figure for one group, with the population it covers (for suppression).

`members` is the cell's population as a bitmask over the report's people (bit i = person i of
`Population.keys`): the people the figure is about, whatever its value (a count of sessions held
by a cohort covers the whole cohort, not only those who held one). Python ints make unions,
subset tests and sizes cheap: `a & b == b`, `(a & ~b).bit_count()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

ALL = "all"
"""The breakdown (and group) of a family's parent: everyone in the metric's scope."""
BREAKDOWNS = ("programme", "modality", "cohort", "level", "function", "region")
"""How every metric is broken down (besides `all`, and weekly over time)."""
UNKNOWN = "(not set)"
"""The group of people with no value for a breakdown, so the children partition the parent."""


@dataclass
class Population:
    """The people of a report (pseudonymous keys) and their bit positions."""

    keys: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def bit(self, key: str) -> int:
        """The single-bit mask of a person, adding them if new."""
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.keys)
            self.keys.append(key)
        return 1 << found

    def mask(self, keys: Iterable[str]) -> int:
        """The mask of several people."""
        out = 0
        for key in keys:
            out |= self.bit(key)
        return out


@dataclass(frozen=True)
class Cell:
    """One figure: metric, breakdown and group, week (None: the whole period), its population."""

    metric: str
    breakdown: str
    group: str
    week: date | None
    value: float | None
    members: int
    unit: str = ""

    @property
    def size(self) -> int:
        """How many people the cell covers."""
        return self.members.bit_count()


@dataclass(frozen=True)
class Shown:
    """A cell as displayed: its value, or None with `suppressed` and why."""

    cell: Cell
    suppressed: bool = False
    reason: str = ""
    """'' when shown; 'small' (below the minimum group) or 'complementary'."""

    @property
    def value(self) -> float | None:
        """The value to display (None when suppressed)."""
        return None if self.suppressed else self.cell.value
