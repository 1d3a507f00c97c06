"""Who a report is about: the leaders and coaches in scope, their groups, and the weeks.

A leader is in scope when one of their engagements overlaps the report's period (and, with a
programme filter, their programme has that label). The period ends with the last complete week
(a week under way would understate every rate). Each leader falls in exactly one group per
breakdown (`UNKNOWN` when the roster has no value), so the groups partition the parent. Leaders
with the same groups share a *profile*: facts are summed per profile and week, then folded into
groups, which keeps the work proportional to the distinct profiles rather than to the rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.reporting.cells import ALL, BREAKDOWNS, UNKNOWN, Population
from storage.reporting.models import DimCoach, DimLeader, DimProgramme, FactEngagement

WEEK = timedelta(days=7)
GROUPINGS = (ALL, *BREAKDOWNS)
"""Every breakdown of a leader metric, the parent (`all`) first."""
COACH_GROUPINGS = (ALL, "programme", "modality")
"""Coaches are grouped by their main programme (the one with most of their engagements)."""
HOLDING = ("active", "paused")
"""Engagement statuses that hold a place in a coach's capacity."""

GroupKey = tuple[str, str]
"""(breakdown, group)."""


def monday(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers: one programme (by label) or all, and a range of weeks."""

    programme: str | None = None
    start: date | None = None
    end: date | None = None


class Bits:
    """A population mask built one person at a time (fast: a byte array, then one int)."""

    def __init__(self, size: int) -> None:
        self._bytes = bytearray((size + 7) // 8)

    def add(self, pos: int) -> None:
        """Add the person at bit `pos`."""
        self._bytes[pos >> 3] |= 1 << (pos & 7)

    @property
    def mask(self) -> int:
        """The population as an int bitmask."""
        return int.from_bytes(self._bytes, "little")


@dataclass
class Side:
    """One kind of people in a report (leaders or coaches): positions, profiles, group masks."""

    groupings: tuple[str, ...]
    population: Population = field(default_factory=Population)
    pos: dict[str, int] = field(default_factory=dict)
    profile_of: list[int] = field(default_factory=list)
    profiles: list[tuple[str, ...]] = field(default_factory=list)
    masks: dict[GroupKey, int] = field(default_factory=dict)
    _profile_ids: dict[tuple[str, ...], int] = field(default_factory=dict)

    def add(self, key: str, groups: tuple[str, ...]) -> None:
        """Add a person with their group in each breakdown (after `all`)."""
        bit = self.population.bit(key)
        self.pos[key] = len(self.profile_of)
        pid = self._profile_ids.setdefault(groups, len(self.profiles))
        if pid == len(self.profiles):
            self.profiles.append(groups)
        self.profile_of.append(pid)
        for grouping, group in zip(self.groupings, (ALL, *groups), strict=True):
            self.masks[(grouping, group)] = self.masks.get((grouping, group), 0) | bit

    @property
    def size(self) -> int:
        """How many people."""
        return len(self.profile_of)

    def group_keys(self, profile: int) -> list[GroupKey]:
        """The group of a profile in every breakdown, `all` first."""
        return list(zip(self.groupings, (ALL, *self.profiles[profile]), strict=True))

    @property
    def everyone(self) -> int:
        """The mask of every person on this side."""
        return self.masks.get((ALL, ALL), 0)


@dataclass
class Scope:
    """The period, its weeks, the leaders and coaches in scope and who was engaged each week."""

    start: date
    end: date
    weeks: list[date]
    leaders: Side
    coaches: Side
    engaged: list[int]
    """Per week: the mask of leaders with an engagement covering it."""
    coach_active_clients: dict[str, int]
    coach_capacity: dict[str, int]
    employment: list[str]
    """Per leader position: employment status (employed, promoted, moved_role, left)."""
    programme_groups: dict[str | None, tuple[str, str]] = field(default_factory=dict)
    """Programme key (None: none) -> its (programme, modality) groups."""
    programme_keys: list[str] | None = None
    """With a programme filter, the keys of the programmes with that label (else None)."""

    def week_index(self) -> dict[object, int]:
        """Week -> index, keyed by date and by ISO text (SQLite hands dates back as text)."""
        out: dict[object, int] = {}
        for i, week in enumerate(self.weeks):
            out[week] = i
            out[week.isoformat()] = i
        return out


@dataclass(frozen=True)
class Engagement:
    """An engagement row as the scope needs it."""

    leader_key: str
    coach_key: str | None
    programme_key: str
    status: str
    started_week: date
    ended_week: date | None


def _value(text: str | None) -> str:
    cleaned = (text or "").strip()
    return cleaned or UNKNOWN


async def load_scope(conn: AsyncConnection, *, filters: ReportFilter, now: datetime) -> Scope:
    """Read the dimensions and engagements and work out who and which weeks the report covers."""
    programmes: dict[str, tuple[str | None, str | None]] = {
        key: (label, modality)
        for key, label, modality in await conn.execute(
            select(DimProgramme.programme_key, DimProgramme.label, DimProgramme.modality)
        )
    }
    engagements = [
        Engagement(*row)
        for row in await conn.execute(
            select(
                FactEngagement.leader_key,
                FactEngagement.coach_key,
                FactEngagement.programme_key,
                FactEngagement.status,
                FactEngagement.started_week,
                FactEngagement.ended_week,
            )
        )
    ]
    last_complete = monday(now.date()) - WEEK  # the week under way would understate rates
    end = min(monday(filters.end), last_complete) if filters.end else last_complete
    starts = [monday(row.started_week) for row in engagements]
    start = monday(filters.start) if filters.start else min(starts, default=end)
    weeks: list[date] = []
    cursor = start
    while cursor <= end:
        weeks.append(cursor)
        cursor += WEEK
    overlapping = [
        row
        for row in engagements
        if row.started_week <= end and (row.ended_week is None or row.ended_week >= start)
    ]
    leaders = Side(GROUPINGS)
    employment: list[str] = []
    wanted = {row.leader_key for row in overlapping}
    dims = select(
        DimLeader.leader_key,
        DimLeader.programme_key,
        DimLeader.cohort,
        DimLeader.level,
        DimLeader.function,
        DimLeader.region,
        DimLeader.employment_status,
    ).order_by(DimLeader.leader_key)
    for row in await conn.execute(dims):
        if row.leader_key not in wanted:
            continue
        label, modality = programmes.get(row.programme_key or "", (None, None))
        if filters.programme is not None and label != filters.programme:
            continue
        leaders.add(
            row.leader_key,
            (
                _value(label),
                _value(modality),
                _value(row.cohort),
                _value(row.level),
                _value(row.function),
                _value(row.region),
            ),
        )
        employment.append(row.employment_status)
    engaged = _engaged_by_week(leaders, overlapping, weeks)
    coaches, active, capacity = await _coaches(conn, overlapping, programmes, filters, end)
    groups: dict[str | None, tuple[str, str]] = {
        key: (_value(label), _value(modality)) for key, (label, modality) in programmes.items()
    }
    groups[None] = (UNKNOWN, UNKNOWN)
    chosen = (
        None
        if filters.programme is None
        else [key for key, (label, _) in programmes.items() if label == filters.programme]
    )
    return Scope(
        start, end, weeks, leaders, coaches, engaged, active, capacity, employment, groups, chosen
    )


def _engaged_by_week(leaders: Side, engagements: list[Engagement], weeks: list[date]) -> list[int]:
    """Per week, the mask of in-scope leaders with an engagement covering that week."""
    builders = [Bits(leaders.size) for _ in weeks]
    if not weeks:
        return []
    first = weeks[0]
    for row in engagements:
        pos = leaders.pos.get(row.leader_key)
        if pos is None:
            continue
        lo = max(0, (monday(row.started_week) - first).days // 7)
        ended = row.ended_week
        hi = len(weeks) - 1 if ended is None else min(len(weeks) - 1, (ended - first).days // 7)
        for i in range(lo, hi + 1):
            builders[i].add(pos)
    return [b.mask for b in builders]


async def _coaches(
    conn: AsyncConnection,
    engagements: list[Engagement],
    programmes: dict[str, tuple[str | None, str | None]],
    filters: ReportFilter,
    end: date,
) -> tuple[Side, dict[str, int], dict[str, int]]:
    """Coaches with an engagement in the period, by main programme; their clients and capacity."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    active: Counter[str] = Counter()
    for row in engagements:
        label = programmes.get(row.programme_key, ("", ""))[0]
        if row.coach_key is None or filters.programme not in (None, label):
            continue
        counts[row.coach_key][row.programme_key] += 1
        if row.status in HOLDING and (row.ended_week is None or row.ended_week >= end):
            active[row.coach_key] += 1
    capacity = {
        key: cap for key, cap in await conn.execute(select(DimCoach.coach_key, DimCoach.capacity))
    }
    side = Side(COACH_GROUPINGS)
    for coach in sorted(counts):
        ranked = sorted(counts[coach].items(), key=lambda kv: (-kv[1], kv[0]))
        label, modality = programmes.get(ranked[0][0], (None, None))
        side.add(coach, (_value(label), _value(modality)))
    return side, dict(active), capacity
