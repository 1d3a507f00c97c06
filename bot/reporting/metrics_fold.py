"""Summing facts per profile and week, then folding them into the cells of every group."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.reporting.cells import Cell
from bot.reporting.metrics_scope import Bits, GroupKey, Side

PERIOD = -1
"""The week index of a whole-period figure."""

Vector = list[float]
Value = Callable[[Vector, int], float | None]
"""A figure from a group's summed vector and its population size."""


@dataclass
class Tally:
    """Sums per (profile, week index) of a fixed-width vector, and who contributed each week."""

    side: Side
    weeks: int
    width: int
    sums: dict[tuple[int, int], Vector] = field(default_factory=dict)
    contributors: list[Bits] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.contributors = [Bits(self.side.size) for _ in range(self.weeks)]

    def add(self, pos: int, week: int, values: Sequence[float]) -> None:
        """Add one person's figures of one week."""
        self.contributors[week].add(pos)
        key = (self.side.profile_of[pos], week)
        found = self.sums.get(key)
        if found is None:
            self.sums[key] = list(values)
        else:
            for i, v in enumerate(values):
                found[i] += v

    def week_masks(self) -> list[int]:
        """Per week, the mask of people who contributed."""
        return [b.mask for b in self.contributors]

    def folded(self, *, weekly: Sequence[str] = ()) -> dict[tuple[GroupKey, int], Vector]:
        """Sums per (group, week index) for the `weekly` breakdowns, and per group at `PERIOD`."""
        period: dict[int, Vector] = {}
        coarse: dict[tuple[tuple[GroupKey, ...], int], Vector] = {}
        profiles = range(len(self.side.profiles))
        weekly_keys = [
            tuple(gk for gk in self.side.group_keys(p) if gk[0] in weekly) for p in profiles
        ]
        for (profile, week), vec in self.sums.items():
            _accumulate(period, profile, vec)
            if weekly_keys[profile]:
                _accumulate(coarse, (weekly_keys[profile], week), vec)
        out: dict[tuple[GroupKey, int], Vector] = {}
        for profile, vec in period.items():
            for gk in self.side.group_keys(profile):
                _accumulate(out, (gk, PERIOD), vec)
        for (keys, week), vec in coarse.items():
            for gk in keys:
                _accumulate(out, (gk, week), vec)
        return out


def _accumulate(target: dict[Any, Vector], key: Any, vec: Vector) -> None:
    found = target.get(key)
    if found is None:
        target[key] = list(vec)
    else:
        for i, v in enumerate(vec):
            found[i] += v


def union(masks: Sequence[int]) -> int:
    """The union of several masks."""
    out = 0
    for mask in masks:
        out |= mask
    return out


@dataclass(frozen=True)
class Spec:
    """A metric made from a tally: its name, unit and how its value is computed."""

    metric: str
    unit: str
    value: Value


def cells_from(
    side: Side,
    weeks: Sequence[date],
    folded: dict[tuple[GroupKey, int], Vector],
    specs: Sequence[Spec],
    *,
    period_population: int,
    week_populations: Sequence[int] | None,
    weekly_groupings: Sequence[str] | None = None,
    width: int,
) -> list[Cell]:
    """The cells of `specs` for every group (and week): members = group ∩ population."""
    out: list[Cell] = []
    zero = [0.0] * width
    slots: list[tuple[int, date | None, int]] = [(PERIOD, None, period_population)]
    if week_populations is not None:
        slots += [(i, weeks[i], pop) for i, pop in enumerate(week_populations)]
    for gk, group_mask in side.masks.items():
        for index, week, population in slots:
            if week is not None and weekly_groupings is not None and gk[0] not in weekly_groupings:
                continue
            members = group_mask & population
            if not members:
                continue
            vec = folded.get((gk, index), zero)
            size = members.bit_count()
            for spec in specs:
                out.append(
                    Cell(spec.metric, gk[0], gk[1], week, spec.value(vec, size), members, spec.unit)
                )
    return out


def ratio(num: int, den: int) -> Value:
    """vec[num] / vec[den] (None when the denominator is 0)."""
    return lambda vec, _size: vec[num] / vec[den] if vec[den] else None


def per_person(num: int) -> Value:
    """vec[num] per person of the cell."""
    return lambda vec, size: vec[num] / size if size else None
