"""Declarative base with a naming convention, and shared column helpers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every operational table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    """A created-at column, set by the service from its `now` (never a database clock)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
