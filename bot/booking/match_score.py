"""Pure scoring of a coach for a leader: weekly overlap, accreditation rank, score, reasons.

The score (higher is better; see `score`):

- language: +40 when the leader's base language (of their locale, "es-ES" -> "es") is among
  the coach's languages: talking in one's own language matters more than anything below;
- time-zone overlap: +1.5 per weekly hour, up to 20 hours (+30), of the coach's availability
  that falls inside the leader's working hours on the leader's working days; no overlap at all
  is -100, so such a coach is listed only when there are too few others;
- accreditation: +4 per step on one 1-4 scale (EMCC Foundation 1, Practitioner 2, Senior
  Practitioner 3, Master Practitioner 4; ICF ACC 2, PCC 3, MCC 4, by the hours of practice each
  requires), so +4 to +16;
- remaining capacity: +5 times the share of places still free (a little room beats none).

Modality is a filter, not a weight: every candidate coaches the programme's modality. Scores are
rounded to 2 decimals and ties go to name, then id, so the ranking is deterministic.

Overlap is computed for the actual seven days from the leader's local date of `now`, with each
zone's own offsets on each day, so a week in which only one of the two zones changes its clocks
comes out right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from bot.timefmt import zone_info
from prompts import Copy

Span = tuple[float, float]
"""A half-open [start, end) span in POSIX seconds (UTC)."""
Window = tuple[int, int, int]
"""A weekly window: weekday (0=Monday), start and end in seconds of the local day."""

LANGUAGE_POINTS = 40.0
OVERLAP_POINTS_PER_HOUR = 1.5
OVERLAP_CAP_HOURS = 20.0
NO_OVERLAP_POINTS = -100.0
ACCREDITATION_POINTS_PER_STEP = 4.0
CAPACITY_POINTS = 5.0
WEEK_DAYS = 7

ACCREDITATION_RANK: dict[tuple[str, str], int] = {
    ("EMCC", "Foundation"): 1,
    ("EMCC", "Practitioner"): 2,
    ("EMCC", "Senior Practitioner"): 3,
    ("EMCC", "Master Practitioner"): 4,
    ("ICF", "ACC"): 2,
    ("ICF", "PCC"): 3,
    ("ICF", "MCC"): 4,
}


def accreditation_rank(body: str, level: str) -> int:
    """The accreditation on one 1-4 scale across ICF and EMCC (0 if unknown)."""
    return _RANK_FOLDED.get((body.strip().casefold(), level.strip().casefold()), 0)


_RANK_FOLDED = {(b.casefold(), lv.casefold()): r for (b, lv), r in ACCREDITATION_RANK.items()}


def base_language(tag: str | None) -> str:
    """The base language of a locale or language tag: 'es-ES' and 'es_MX' -> 'es'."""
    return (tag or "").replace("_", "-").split("-")[0].strip().lower()


def speaks(languages: Iterable[str], locale: str | None) -> bool:
    """True when one of `languages` has the same base language as `locale`."""
    wanted = base_language(locale)
    return bool(wanted) and any(base_language(lang) == wanted for lang in languages)


@lru_cache(maxsize=65536)
def _instant(zone: str, day: date, at: time) -> float:
    """POSIX seconds of a local wall time in `zone` (a skipped time counts as its later side)."""
    return datetime.combine(day, at, tzinfo=zone_info(zone)).timestamp()


def week_start(now: datetime, zone: str) -> date:
    """The first day of the week that overlap is measured over: the local date of `now`."""
    return now.astimezone(zone_info(zone)).date()


def merged(spans: Iterable[Span]) -> list[Span]:
    """The spans sorted, with overlapping or touching ones joined."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def workday_spans(
    *, zone: str, starts: time, ends: time, days: Iterable[int], first: date
) -> list[Span]:
    """The leader's working hours on their working days in the 7 days from `first`."""
    wanted = set(days)
    spans: list[Span] = []
    for ahead in range(WEEK_DAYS):
        day = first + timedelta(days=ahead)
        if day.weekday() not in wanted or starts == ends:
            continue
        end_day = day if ends > starts else day + timedelta(days=1)  # a shift past midnight
        spans.append((_instant(zone, day, starts), _instant(zone, end_day, ends)))
    return merged(spans)


class WeekOverlap:
    """Weekly overlap of coaches' windows with one leader's working spans, fast for many coaches.

    Per coach zone it notes once the local dates the leader's spans touch, with each date's
    local midnight; on a date without a clock change a local time is midnight plus seconds, on
    a date with one it goes through zoneinfo. Windows are (weekday, start, end) in seconds of
    the local day; a coach's windows on one weekday are merged first, so nothing counts twice.
    """

    def __init__(self, *, leader_spans: Sequence[Span], first: date) -> None:
        self.spans = tuple(leader_spans)
        self.first = first
        self._days: dict[str, list[_Day]] = {}

    def hours(self, zone: str, windows: Iterable[Window]) -> float:
        """Hours a week of the coach's windows (in `zone`) inside the leader's working spans."""
        days = self._days.get(zone)
        if days is None:
            days = self._days[zone] = self._zone_days(zone)
        if not days:
            return 0.0
        by_weekday: dict[int, list[tuple[int, int]]] = {}
        for weekday, starts, ends in sorted(windows):
            merged_day = by_weekday.setdefault(weekday, [])
            if merged_day and starts <= merged_day[-1][1]:
                if ends > merged_day[-1][1]:
                    merged_day[-1] = (merged_day[-1][0], ends)
            elif ends > starts:
                merged_day.append((starts, ends))
        total = 0.0
        for day in days:
            for starts, ends in by_weekday.get(day.weekday, ()):
                if day.linear:
                    a, b = day.midnight + starts, day.midnight + ends
                else:
                    a, b = (
                        _instant(zone, day.date, _clock(starts)),
                        _instant(zone, day.date, _clock(ends)),
                    )
                for ls, le in day.spans:
                    shared = min(b, le) - max(a, ls)
                    if shared > 0:
                        total += shared
        return total / 3600.0

    def _zone_days(self, zone: str) -> list[_Day]:
        # Two days either side cover every pair of UTC offsets (at most 26 hours apart).
        out = []
        for ahead in range(-2, WEEK_DAYS + 2):
            day = self.first + timedelta(days=ahead)
            midnight = _instant(zone, day, time(0))
            following = _instant(zone, day + timedelta(days=1), time(0))
            spans = tuple(s for s in self.spans if s[0] < following and midnight < s[1])
            if spans:
                linear = following - midnight == 86400 and _offset(zone, day) == _offset(
                    zone, day + timedelta(days=1)
                )
                out.append(_Day(day, day.weekday(), midnight, linear, spans))
        return out


@dataclass(frozen=True)
class _Day:
    date: date
    weekday: int
    midnight: float
    linear: bool
    spans: tuple[Span, ...]


def _offset(zone: str, day: date) -> timedelta | None:
    return datetime.combine(day, time(0), tzinfo=zone_info(zone)).utcoffset()


def _clock(second: int) -> time:
    """A second of the day as a wall-clock time (86400 and past it as 23:59:59.999999)."""
    if second >= 86400:
        return time.max
    return time(second // 3600, second // 60 % 60, second % 60)


def seconds(t: time) -> int:
    """Seconds since midnight of a wall-clock time."""
    return t.hour * 3600 + t.minute * 60 + t.second


def weekly_overlap_hours(
    *,
    leader_spans: Sequence[Span],
    coach_zone: str,
    windows: Iterable[tuple[int, time, time]],
    first: date,
) -> float:
    """Hours of the coach's windows inside the leader's working spans of the week from `first`."""
    week = WeekOverlap(leader_spans=leader_spans, first=first)
    return week.hours(coach_zone, [(d, seconds(a), seconds(b)) for d, a, b in windows])


def score(
    *, language: bool, overlap_hours: float, accreditation: int, free: int, capacity: int
) -> float:
    """The match score of one coach for one leader (see the module docstring)."""
    points = LANGUAGE_POINTS if language else 0.0
    if overlap_hours > 0:
        points += OVERLAP_POINTS_PER_HOUR * min(overlap_hours, OVERLAP_CAP_HOURS)
    else:
        points += NO_OVERLAP_POINTS
    points += ACCREDITATION_POINTS_PER_STEP * accreditation
    if capacity > 0:
        points += CAPACITY_POINTS * max(free, 0) / capacity
    return round(points, 2)


def parse_windows(text: str | None) -> tuple[Window, ...]:
    """'0 09:00:00 13:00:00,2 14:00:00.000000 17:30:00' -> ((0, 32400, 46800), ...), sorted."""
    if not text:
        return ()
    out = []
    for part in text.split(","):
        weekday, starts, ends = part.split()
        out.append((int(weekday), _clock_seconds(starts), _clock_seconds(ends)))
    return tuple(sorted(out))


def _clock_seconds(clock: str) -> int:
    """Seconds of the day of 'HH:MM:SS' (any fraction after it is dropped)."""
    return int(clock[0:2]) * 3600 + int(clock[3:5]) * 60 + int(clock[6:8])


@dataclass(frozen=True)
class Reason:
    """Why a coach is offered: a copy key in prompts/messages/en/matching.toml and its values."""

    key: str
    values: Mapping[str, str | int]


def reasons(
    *,
    modality: str,
    languages: Sequence[str],
    locale: str | None,
    overlap_hours: float,
    body: str,
    level: str,
    free: int,
    capacity: int,
    copy: Copy,
) -> tuple[Reason, ...]:
    """Modality, language, overlap, accreditation and room, with names from the copy."""
    out = [Reason("matching.reason_modality", {"modality": _name(copy, "modality", modality)})]
    if speaks(languages, locale):
        language = _name(copy, "language", base_language(locale))
        out.append(Reason("matching.reason_language", {"language": language}))
    elif languages:
        names = ", ".join(_name(copy, "language", base_language(t)) for t in languages)
        out.append(Reason("matching.reason_language_other", {"languages": names}))
    if overlap_hours > 0:
        out.append(Reason("matching.reason_overlap", {"hours": hours_text(overlap_hours)}))
    else:
        out.append(Reason("matching.reason_no_overlap", {}))
    out.append(Reason("matching.reason_accreditation", {"body": body, "level": level}))
    out.append(Reason("matching.reason_capacity", {"free": free, "capacity": capacity}))
    return tuple(out)


def _name(copy: Copy, kind: str, code: str) -> str:
    """A display name from the copy (matching.language.es -> Spanish), else the code itself."""
    key = f"matching.{kind}.{code}"
    return copy(key) if code and copy.has(key) else code


def hours_text(hours: float) -> str:
    """Weekly hours for people: to the nearest half hour, at least 0.5 when there are any."""
    halves = max(round(hours * 2), 1 if hours > 0 else 0)
    whole, half = divmod(halves, 2)
    return f"{whole}.5" if half else str(whole)
