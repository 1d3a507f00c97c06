"""Every operational table, importable from one place."""

from storage.models.audit import AuditEntry
from storage.models.base import Base
from storage.models.llm_usage import LlmUsage
from storage.models.messaging import DeliveryHold, InboundEvent, OutboxMessage
from storage.models.nudging import NudgePlan, NudgeSettings
from storage.models.organisation import Organisation, SlackWorkspace, TeamsTenant
from storage.models.people import AvailabilityWindow, CoachProfile, Person, PlatformIdentity
from storage.models.privacy import Erasure
from storage.models.programme import Engagement, Programme
from storage.models.progress import CheckIn, Goal, Handoff, Nudge, Reflection
from storage.models.sessions import Booking, BookingSeat, CoachBusy
from storage.models.slack import SlackInstallation

__all__ = [
    "AuditEntry",
    "AvailabilityWindow",
    "Base",
    "Booking",
    "BookingSeat",
    "CheckIn",
    "CoachBusy",
    "CoachProfile",
    "DeliveryHold",
    "Engagement",
    "Erasure",
    "Goal",
    "Handoff",
    "InboundEvent",
    "LlmUsage",
    "Nudge",
    "NudgePlan",
    "NudgeSettings",
    "Organisation",
    "OutboxMessage",
    "Person",
    "PlatformIdentity",
    "Programme",
    "Reflection",
    "SlackInstallation",
    "SlackWorkspace",
    "TeamsTenant",
]
