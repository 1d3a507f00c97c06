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
    "sqlite": "CAST((julianday(f.week) - julianday(:start)) / 7 AS INTEGER)",
    "postgresql": "((f.week - CAST(:start AS date)) / 7)",
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
    cs = ", ".join(f"x.c{i}" for i in range(len(names)))
    filters = f"f.week >= :start AND f.week <= :end AND ({where})"
    w = WEEK_INDEX[dialect]
    if dialect == "sqlite":  # each leader looked up by index: half the time of one grouped scan
        weeks = (
            f"SELECT pos.p AS p, {w} AS w, {counts} FROM {table} f "  # noqa: S608
            f"JOIN pos ON pos.leader_key = f.leader_key WHERE {filters} GROUP BY pos.p, f.week"
        )
    else:  # the whole table grouped by leader and week, then joined (PostgreSQL hashes both)
        weeks = (
            f"SELECT pos.p AS p, x.w AS w, {cs} FROM (SELECT f.leader_key, "  # noqa: S608
            f"{w} AS w, {counts} FROM {table} f WHERE {filters} "
            "GROUP BY f.leader_key, f.week) AS x JOIN pos ON pos.leader_key = x.leader_key"
        )
    with_pos = f"WITH pos AS MATERIALIZED ({POSITIONS[dialect]}) "
    bit = f"{ONE[dialect]} << (x.p % {BLOCK})"
    levels = (1, 2) if counted else (1,)
    packs = ", ".join(
        f"SUM(CASE WHEN x.c{i} >= {least} THEN {bit} ELSE 0 END)"
        for i in range(len(names))
        for least in levels
    )
    most = "".join(f", MAX(x.c{i})" for i in range(len(names)))  # a third row somewhere?
    packed = text(
        f"{with_pos}SELECT x.w, x.p / {BLOCK}, {packs}{most} "  # noqa: S608
        f"FROM ({weeks}) AS x GROUP BY x.w, x.p / {BLOCK}"
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
        crowd = " OR ".join(f"x.c{i} > 2" for i in range(len(names)))
        extras = text(f"{with_pos}SELECT x.p, x.w, {cs} FROM ({weeks}) AS x WHERE {crowd}")  # noqa: S608
        for row in await conn.execute(extras, bind):
            week = int(row[1])
            if 0 <= week < out.weeks:
                for i, name in enumerate(names):
                    if int(row[2 + i]) > 2:
                        out.extra[(name, int(row[0]), week)] = int(row[2 + i]) - 2
    return out


def bounds(scope: Scope, dialect: str) -> dict[str, object]:
    """The period's first and last weeks as bound values (ISO text on SQLite, as stored)."""
    if dialect == "sqlite":
        return {"start": scope.start.isoformat(), "end": scope.end.isoformat()}
    return {"start": scope.start, "end": scope.end}
