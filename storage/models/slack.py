"""Slack app installations (multi-workspace OAuth): one bot token per workspace, encrypted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import EncryptedText, UTCDateTime


class SlackInstallation(Base):
    """The app's install in one Slack workspace; `bot_token` is None once the workspace stopped."""

    __tablename__ = "slack_installations"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    team_name: Mapped[str] = mapped_column(String(200), default="")
    enterprise_id: Mapped[str | None] = mapped_column(String(32), default=None)
    bot_user_id: Mapped[str] = mapped_column(String(32), default="")
    bot_token: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    bot_scopes: Mapped[str] = mapped_column(Text, default="")
    installed_by_user_id: Mapped[str] = mapped_column(String(32), default="")
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
