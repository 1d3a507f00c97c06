"""Conversation flows; importing this package registers every handler on bot.routes.ROUTES."""

from bot.flows import basics, overview

__all__ = ["basics", "overview"]
