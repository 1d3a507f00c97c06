"""Conversation flows; importing this package registers every handler on bot.routes.ROUTES."""

from bot.flows import (
    basics,
    booking,
    checkin,
    coach,
    coach_view,
    goals,
    handoff,
    manage,
    matching,
    nudge_prefs,
    overview,
    reflect,
    safety,
)

__all__ = [
    "basics",
    "booking",
    "checkin",
    "coach",
    "coach_view",
    "goals",
    "handoff",
    "manage",
    "matching",
    "nudge_prefs",
    "overview",
    "reflect",
    "safety",
]
