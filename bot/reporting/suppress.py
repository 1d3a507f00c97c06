"""Small-group suppression of report cells: a minimum group, then complementary suppression.

Primary: a cell covering fewer than `min_group` people (or nobody) is hidden ('small').

Complementary, per metric, to a fixed point (suppression only ever grows):
- siblings: in each (metric, week, breakdown) family, the parent's population minus the union
  of the shown children must be empty or at least `min_group`, else the smallest shown child is
  hidden too. The parent counts as known even when it is hidden itself, since the children of
  another breakdown add up to it.
- twins: cells of a metric and week with the same population (usually) carry the same figure,
  so they are hidden together (a cohort and a region made of the same people).
- nested pairs: for two shown cells of a metric (any week, any breakdown) where one population
  strictly contains the other, the difference must be at least `min_group`, else the smaller is
  hidden. This covers parent minus child, one breakdown's group inside another's, and a week
  minus the next for the same group.

Hiding a cell never creates a nested-pair breach (that needs two shown cells), so one nested
pass, largest populations first, followed by the sibling rule, reaches the fixed point; the loop
confirms it. Ties are broken by the cells' contents, never their order, so the outcome does not
depend on how the cells were listed.

Known limit: two shown cells whose populations overlap without nesting (a week where one person
left and another joined) are not compared; their difference is two groups, not one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.reporting.cells import ALL, Cell, Shown

MIN_GROUP_DEFAULT = 5
"""The minimum group of the HR report unless configured (the industry default)."""
MIN_GROUP_FLOOR = 3
"""The report's minimum group is never configurable below this."""

SMALL = "small"
COMPLEMENTARY = "complementary"


def check_min_group(n: int) -> int:
    """The minimum group size, refused when below the floor of 3."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"minimum group size must be a whole number, not {n!r}")
    if n < MIN_GROUP_FLOOR:
        raise ValueError(
            f"minimum group size {n} is below the floor of {MIN_GROUP_FLOOR}: "
            "a smaller group could identify a person"
        )
    return n


def _order(cell: Cell) -> tuple[str, str, bool, date, int]:
    """A sort key from a cell's contents (ties broken by content, not position)."""
    return (cell.breakdown, cell.group, cell.week is not None, cell.week or date.min, cell.members)


def _family_order(family: tuple[date | None, str]) -> tuple[bool, date, str]:
    """A sort key of a (week, breakdown) family: weeks in order, then the whole period."""
    week, breakdown = family
    return (week is None, week or date.min, breakdown)


class _Metric:
    """The cells of one metric and their suppression state (indices into the report's cells)."""

    def __init__(self, cells: Sequence[Cell], indices: list[int], reasons: list[str], m: int):
        self.cells = cells
        self.reasons = reasons
        self.m = m
        self.by_mask: dict[int, list[int]] = defaultdict(list)
        self.twins: dict[tuple[date | None, int], list[int]] = defaultdict(list)
        parents: dict[date | None, int] = defaultdict(int)
        self.families: dict[tuple[date | None, str], list[int]] = defaultdict(list)
        for i in indices:
            cell = cells[i]
            self.by_mask[cell.members].append(i)
            self.twins[(cell.week, cell.members)].append(i)
            parents[cell.week] |= cell.members
            if cell.breakdown != ALL:
                self.families[(cell.week, cell.breakdown)].append(i)
        self.parents = dict(parents)
        for members in self.families.values():
            members.sort(key=lambda i: (cells[i].size, _order(cells[i]), i))

    def shown(self, i: int) -> bool:
        """Whether cell i is still shown."""
        return not self.reasons[i]

    def hide(self, i: int) -> None:
        """Hide cell i as complementary, with its shown twins (same week, same population)."""
        cell = self.cells[i]
        for j in self.twins[(cell.week, cell.members)]:
            if self.shown(j):
                self.reasons[j] = COMPLEMENTARY

    def nested(self) -> bool:
        """Hide the smaller of every shown nested pair closer than the minimum; True if any."""
        shown = {mask for mask, idx in self.by_mask.items() if any(map(self.shown, idx))}
        by_size: dict[int, list[int]] = defaultdict(list)
        for mask in sorted(shown, key=lambda mask: (mask.bit_count(), mask)):
            by_size[mask.bit_count()].append(mask)
        changed = False
        for big in sorted(shown, key=lambda mask: (-mask.bit_count(), mask)):
            if big not in shown:
                continue
            size = big.bit_count()
            for gap in range(1, self.m):
                for small in by_size.get(size - gap, ()):
                    if small in shown and big & small == small:
                        shown.discard(small)
                        for i in self.by_mask[small]:
                            if self.shown(i):
                                self.hide(i)
                                changed = True
        return changed

    def siblings(self) -> bool:
        """Hide the smallest shown child while a family's hidden remainder is small; True if any."""
        changed = False
        for week, breakdown in sorted(self.families, key=_family_order):
            parent, children = self.parents[week], self.families[(week, breakdown)]
            while True:
                visible = [i for i in children if self.shown(i)]
                covered = 0
                for i in visible:
                    covered |= self.cells[i].members
                rest = (parent & ~covered).bit_count()
                if not visible or rest == 0 or rest >= self.m:
                    break
                self.hide(visible[0])
                changed = True
        return changed


def suppress(cells: Sequence[Cell], *, min_group: int) -> list[Shown]:
    """The cells as displayed, in the order given: small and complementary cells hidden."""
    m = check_min_group(min_group)
    reasons = [SMALL if cell.size < m else "" for cell in cells]
    by_metric: dict[str, list[int]] = defaultdict(list)
    for i, cell in enumerate(cells):
        by_metric[cell.metric].append(i)
    for indices in by_metric.values():
        metric = _Metric(cells, indices, reasons, m)
        while True:
            changed = metric.nested()
            changed = metric.siblings() or changed
            if not changed:
                break
    return [Shown(cell, bool(reason), reason) for cell, reason in zip(cells, reasons, strict=True)]


def suppressed_count(shown: Iterable[Shown]) -> int:
    """How many cells are hidden."""
    return sum(1 for cell in shown if cell.suppressed)


@dataclass(frozen=True)
class Summary:
    """What the report states about suppression: 'N of T cells suppressed, minimum group M'."""

    min_group: int
    cells: int
    suppressed: int
    small: int
    complementary: int


def summarise(shown: Sequence[Shown], *, min_group: int) -> Summary:
    """Counts of hidden cells, by reason, with the minimum group used."""
    small = sum(1 for cell in shown if cell.reason == SMALL)
    complementary = sum(1 for cell in shown if cell.reason == COMPLEMENTARY)
    return Summary(
        min_group=check_min_group(min_group),
        cells=len(shown),
        suppressed=suppressed_count(shown),
        small=small,
        complementary=complementary,
    )
