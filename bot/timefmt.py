"""Times shown to people: in the viewer's IANA zone, with the zone's abbreviation."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@lru_cache(maxsize=1024)
def zone_info(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, cached (zoneinfo itself keeps only a few)."""
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def is_valid_zone(name: str) -> bool:
    """True when `name` is an IANA time zone known to this machine (tzdata)."""
    if not name or name != name.strip() or name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def local(dt: datetime, zone: str) -> datetime:
    """An aware instant converted to `zone`."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: times in the core are aware UTC")
    return dt.astimezone(zone_info(zone))


def show(dt: datetime, zone: str) -> str:
    """E.g. 'Tue 24 Nov 2026, 14:30 GMT' in the viewer's zone."""
    here = local(dt, zone)
    return f"{here:%a} {here.day} {here:%b %Y}, {here:%H:%M} {abbreviation(here)}"


def abbreviation(here: datetime) -> str:
    """The zone's letters (GMT, IST, AEDT), or 'UTC+4' where tzdata has only numbers."""
    name = here.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = here.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def utc(dt: datetime) -> datetime:
    """The same instant in UTC (aware)."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return dt.astimezone(UTC)
