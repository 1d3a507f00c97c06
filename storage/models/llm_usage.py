"""How many LLM calls were made for one person on one UTC day (the daily cap's counter)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class LlmUsage(Base):
    """One counter per person and UTC day; incremented atomically before each model call."""

    __tablename__ = "llm_usage"
    __table_args__ = (CheckConstraint("calls >= 0", name="calls_non_negative"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date(), primary_key=True)
    calls: Mapped[int] = mapped_column(default=0)
