"""Who did what each week, read compactly: one packed bit per week per leader and class.

Reading a million fact rows one by one into Python is what makes a report slow. Most figures
only need *who* had a nudge delivered, a session held or a check-in in a week: the database packs
each leader's weeks of a class into integers (bit i = week i of the report, 60 weeks per chunk),
so a year of weekly rows comes back as one row per leader and class. Counts per group and week
are then popcounts of bitmasks. The rare leader with two rows of one class in the same week is
read separately (`extra`), so the counts stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.reporting.metrics_scope import WEEK, Bits, Scope

CHUNK = 60
"""Weeks per packed integer (a signed 64-bit sum of distinct powers of two)."""
WEEK_INDEX = {
    "sqlite": "CAST((julianday(week) - julianday(:start)) / 7 AS INTEGER)",
    "postgresql": "((week - CAST(:start AS date)) / 7)",
}
ONE = {"sqlite": "1", "postgresql": "CAST(1 AS BIGINT)"}


@dataclass
class Presence:
    """Per class and week: who had at least one row, who had two or more; rows beyond two."""

    weeks: int
    size: int
    masks: dict[str, list[int]] = field(default_factory=dict)
    doubles: dict[str, list[int]] = field(default_factory=dict)
    extra: dict[tuple[str, int, int], int] = field(default_factory=dict)
    """(class, leader position, week index) -> rows beyond the second (rare)."""

    def any_of(self, classes: tuple[str, ...] | None = None) -> list[int]:
        """Per week, the leaders with a row of any of `classes` (all when None)."""
        out = [0] * self.weeks
        for name, masks in self.masks.items():
            if classes is None or name in classes:
                out = [a | b for a, b in zip(out, masks, strict=True)]
        return out

    def count(self, group: int, week: int, classes: tuple[str, ...]) -> int:
        """Rows of `classes` in a week among the leaders of `group` (without `extra`)."""
        total = 0
        for name in classes:
            total += (self.masks[name][week] & group).bit_count()
            total += (self.doubles[name][week] & group).bit_count()
        return total


def _pack(value: int | None, base: int, row: list[Bits], pos: int) -> None:
    bits = int(value or 0)
    while bits:
        low = bits & -bits
        row[base + low.bit_length() - 1].add(pos)
        bits ^= low


async def read_presence(
    conn: AsyncConnection,
    scope: Scope,
    *,
    table: str,
    classes: dict[str, str],
    where: str = "1 = 1",
) -> Presence:
    """Pack, per class (name -> SQL condition), who had one and two rows in each week."""
    leaders = scope.leaders
    names = list(classes)
    out = Presence(len(scope.weeks), leaders.size)
    out.masks = {name: [0] * out.weeks for name in names}
    out.doubles = {name: [0] * out.weeks for name in names}
    if not scope.weeks or not leaders.size:
        return out
    dialect = conn.dialect.name
    bind = bounds(scope, dialect)
    w, one = WEEK_INDEX.get(dialect, WEEK_INDEX["postgresql"]), ONE.get(dialect, "1")
    counts = ", ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c{i}"
        for i, cond in enumerate(classes.values())
    )
    inner = (
        f"SELECT leader_key, {w} AS w, {counts} FROM {table} "  # noqa: S608
        f"WHERE week >= :start AND week <= :end AND ({where}) GROUP BY leader_key, week"
    )
    bit = f"{one} << (w % {CHUNK})"
    packs = ", ".join(
        f"SUM(CASE WHEN c{i} >= 1 THEN {bit} ELSE 0 END), "
        f"SUM(CASE WHEN c{i} >= 2 THEN {bit} ELSE 0 END), MAX(c{i})"
        for i in range(len(names))
    )
    packed = text(
        f"SELECT leader_key, w / {CHUNK}, {packs} FROM ({inner}) AS x "  # noqa: S608
        f"GROUP BY leader_key, w / {CHUNK}"
    )
    ones = {name: [Bits(leaders.size) for _ in scope.weeks] for name in names}
    twos = {name: [Bits(leaders.size) for _ in scope.weeks] for name in names}
    crowded: set[str] = set()
    pos_of = leaders.pos
    for row in await conn.execute(packed, bind):
        pos = pos_of.get(row[0])
        if pos is None:
            continue
        base = int(row[1]) * CHUNK
        for i, name in enumerate(names):
            _pack(row[2 + 3 * i], base, ones[name], pos)
            _pack(row[3 + 3 * i], base, twos[name], pos)
            if int(row[4 + 3 * i] or 0) > 2:
                crowded.add(row[0])
    out.masks = {name: [b.mask for b in rows] for name, rows in ones.items()}
    out.doubles = {name: [b.mask for b in rows] for name, rows in twos.items()}
    if crowded:
        await _extras(conn, scope, out, inner, bind, names, sorted(crowded))
    return out


async def _extras(
    conn: AsyncConnection,
    scope: Scope,
    out: Presence,
    inner: str,
    bind: dict[str, object],
    names: list[str],
    keys: list[str],
) -> None:
    """Rows beyond two of a class in a week, for the few leaders who have any."""
    index = scope.week_index()
    first = scope.weeks[0]
    for start in range(0, len(keys), 500):
        chunk = {f"k{i}": key for i, key in enumerate(keys[start : start + 500])}
        marks = ", ".join(f":{k}" for k in chunk)
        query = text(f"SELECT * FROM ({inner}) AS x WHERE leader_key IN ({marks})")  # noqa: S608
        for row in await conn.execute(query, {**bind, **chunk}):
            pos = scope.leaders.pos.get(row[0])
            week = index.get(first + WEEK * int(row[1]))
            if pos is None or week is None:
                continue
            for i, name in enumerate(names):
                if int(row[2 + i]) > 2:
                    out.extra[(name, pos, week)] = int(row[2 + i]) - 2


def bounds(scope: Scope, dialect: str) -> dict[str, object]:
    """The period's first and last weeks as bound values (ISO text on SQLite, as stored)."""
    if dialect == "sqlite":
        return {"start": scope.start.isoformat(), "end": scope.end.isoformat()}
    return {"start": scope.start, "end": scope.end}
