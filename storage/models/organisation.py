"""Organisations and the chat workspaces (Slack) and tenants (Teams) they own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Timestamped
from storage.models.choices import one_of
from storage.types import UTCDateTime

SUPPORT_KINDS = ("eap", "emergency", "helpline", "other")
SAFEGUARDING_POLICIES = ("ask", "always", "never")


class Organisation(Timestamped, Base):
    """A customer organisation running one or more coaching programmes."""

    __tablename__ = "organisations"
    __table_args__ = (one_of("safeguarding_policy", SAFEGUARDING_POLICIES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    support_resources: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    safeguarding_email: Mapped[str | None] = mapped_column(String(320), default=None)
    safeguarding_policy: Mapped[str] = mapped_column(
        String(8), default="never", server_default="never"
    )

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
