"""SQL the sync has the operational store compute: UTC weeks and whole-second delays.

Computed by the database, a million timestamps need not become Python datetimes (the largest
cost of a sync after writing). Both forms agree with `sync_facts.week_of` and with Python's
`int(timedelta.total_seconds())`; SQLite keeps instants to the millisecond in date arithmetic,
so a delay there may differ by one second from the microsecond-exact PostgreSQL one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Date, Integer, cast, extract, func, type_coerce


def utc_week(column: Any, dialect: str) -> ColumnElement[date]:
    """The Monday of the UTC ISO week of a stored instant, as a date."""
    if dialect == "sqlite":  # instants are stored as naive UTC text: back 6 days, on to Monday
        return type_coerce(func.date(column, "-6 days", "weekday 1"), Date)
    return cast(func.date_trunc("week", func.timezone("UTC", column)), Date)


def whole_seconds(later: Any, earlier: Any, dialect: str) -> ColumnElement[int]:
    """`later - earlier` in seconds, truncated toward zero (NULL when either is NULL)."""
    if dialect == "sqlite":
        millis = func.round((func.julianday(later) - func.julianday(earlier)) * 86_400_000)
        return type_coerce(cast(millis, Integer) // 1000, Integer)  # SQLite: truncates toward 0
    return cast(func.trunc(extract("epoch", later - earlier)), BigInteger)
