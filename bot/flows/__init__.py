"""Conversation flows; importing this package registers every handler on bot.routes.ROUTES."""

from bot.flows import basics, booking, coach, manage, matching, overview

__all__ = ["basics", "booking", "coach", "manage", "matching", "overview"]
