"""Who did what each week, read compactly: the database packs leaders into bits, week by week.

Reading a million fact rows one by one into Python is what makes a report slow. Most figures
only need *who* had a nudge delivered, a session held or a check-in in a week. The report's
leader positions go to the database as one JSON array; it counts each leader's rows per week and
class, and sums `1 << (position % 60)` per week and block of 60 positions. A year of weekly rows
comes back as a few thousand integers, which Python shifts into one bitmask per week and class.
Counts per group and week are then popcounts. The rare leader with more than two rows of a class
in a week comes back row by row (`extra`), so the counts stay exact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.reporting.metrics_scope import Scope

BLOCK = 60
"""Leader positions per packed integer (a signed 64-bit sum of distinct powers of two)."""
WEEK_INDEX = {
    "sqlite": "CAST((julianday(week) - julianday(:start)) / 7 AS INTEGER)",
    "postgresql": "((week - CAST(:start AS date)) / 7)",
}
POSITIONS = {  # the JSON array of leader keys as (leader_key, position) rows
    "sqlite": "SELECT value AS leader_key, CAST(key AS INTEGER) AS p FROM json_each(:keys)",
    "postgresql": "SELECT k AS leader_key, CAST(n - 1 AS INTEGER) AS p "
    "FROM jsonb_array_elements_text(CAST(:keys AS jsonb)) WITH ORDINALITY AS t(k, n)",
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


async def read_presence(
    conn: AsyncConnection,
    scope: Scope,
    *,
    table: str,
    classes: dict[str, str],
    where: str = "1 = 1",
    counted: bool = True,
) -> Presence:
    """Pack, per class (name -> SQL condition), who had one and two rows in each week.

    `counted=False`: only who had a row matters, so second and further rows are not looked at.
    """
    leaders = scope.leaders
    names = list(classes)
    out = Presence(len(scope.weeks), leaders.size)
    out.masks = {name: [0] * out.weeks for name in names}
    out.doubles = {name: [0] * out.weeks for name in names}
    if not scope.weeks or not leaders.size:
        return out
    dialect = conn.dialect.name if conn.dialect.name in POSITIONS else "postgresql"
    bind: dict[str, object] = {
        **bounds(scope, dialect),
        "keys": json.dumps(leaders.population.keys),
    }
    counts = ", ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c{i}"
        for i, cond in enumerate(classes.values())
    )
    inner = (
        f"SELECT leader_key, {WEEK_INDEX[dialect]} AS w, {counts} FROM {table} "  # noqa: S608
        f"WHERE week >= :start AND week <= :end AND ({where}) GROUP BY leader_key, week"
    )
    bit = f"{ONE[dialect]} << (pos.p % {BLOCK})"
    levels = (1, 2) if counted else (1,)
    packs = ", ".join(
        f"SUM(CASE WHEN x.c{i} >= {least} THEN {bit} ELSE 0 END)"
        for i in range(len(names))
        for least in levels
    )
    most = "".join(f", MAX(x.c{i})" for i in range(len(names)))  # a third row somewhere?
    packed = text(
        f"WITH pos AS MATERIALIZED ({POSITIONS[dialect]}) "  # noqa: S608
        f"SELECT x.w, pos.p / {BLOCK}, {packs}{most} FROM ({inner}) AS x "
        f"JOIN pos ON pos.leader_key = x.leader_key GROUP BY x.w, pos.p / {BLOCK}"
    )
    per_class, maxima = len(levels), 2 + len(levels) * len(names)
    crowded = False
    for row in await conn.execute(packed, bind):
        week, shift = int(row[0]), int(row[1]) * BLOCK
        if not 0 <= week < out.weeks:
            continue
        for i, name in enumerate(names):
            out.masks[name][week] |= int(row[2 + per_class * i] or 0) << shift
            if counted:
                out.doubles[name][week] |= int(row[3 + per_class * i] or 0) << shift
        crowded = crowded or any(int(n or 0) > 2 for n in row[maxima:])
    if counted and crowded:
        await _extras(conn, scope, out, inner, bind, names)
    return out


async def _extras(
    conn: AsyncConnection,
    scope: Scope,
    out: Presence,
    inner: str,
    bind: dict[str, object],
    names: list[str],
) -> None:
    """Rows beyond two of a class in a week, for the few leader-weeks that have any."""
    crowded = " OR ".join(f"c{i} > 2" for i in range(len(names)))
    query = text(f"SELECT * FROM ({inner}) AS x WHERE {crowded}")  # noqa: S608
    for row in await conn.execute(query, bind):
        pos = scope.leaders.pos.get(row[0])
        week = int(row[1])
        if pos is None or not 0 <= week < out.weeks:
            continue
        for i, name in enumerate(names):
            if int(row[2 + i]) > 2:
                out.extra[(name, pos, week)] = int(row[2 + i]) - 2


def bounds(scope: Scope, dialect: str) -> dict[str, object]:
    """The period's first and last weeks as bound values (ISO text on SQLite, as stored)."""
    if dialect == "sqlite":
        return {"start": scope.start.isoformat(), "end": scope.end.isoformat()}
    return {"start": scope.start, "end": scope.end}
