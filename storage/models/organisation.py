"""Organisations and the chat workspaces (Slack) and tenants (Teams) they own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Timestamped
from storage.types import UTCDateTime


class Organisation(Timestamped, Base):
    """A customer organisation running one or more coaching programmes."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    slack_workspaces: Mapped[list[SlackWorkspace]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    teams_tenants: Mapped[list[TeamsTenant]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class SlackWorkspace(Base):
    """A Slack workspace (team) where the organisation installed the app."""

    __tablename__ = "slack_workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    stopped_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    organisation: Mapped[Organisation] = relationship(back_populates="slack_workspaces")


class TeamsTenant(Base):
    """A Microsoft Entra tenant where the organisation installed the Teams app."""

    __tablename__ = "teams_tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")

    organisation: Mapped[Organisation] = relationship(back_populates="teams_tenants")
