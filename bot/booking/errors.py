"""Why a booking request is refused; each names its explanation in prompts/messages."""

from __future__ import annotations


class BookingError(Exception):
    """A request the booking core refuses; nothing was changed. `key` is the copy to show."""

    key = "booking_errors.generic"

    def __init__(self, **values: object) -> None:
        super().__init__(self.key)
        self.values = values


class NotEnrolled(BookingError):
    """The person has no active engagement in a programme."""

    key = "booking_errors.not_enrolled"


class NoCoach(BookingError):
    """The leader has no coach yet (they must choose one first)."""

    key = "booking_errors.no_coach"


class ZoneMissing(BookingError):
    """A person's time zone is missing or not a real IANA zone (values: name)."""

    key = "booking_errors.zone_missing"


class SlotInPast(BookingError):
    """The slot has already started."""

    key = "booking_errors.slot_in_past"


class SlotUnavailable(BookingError):
    """The slot is not (or no longer) offered: outside availability, notice or horizon."""

    key = "booking_errors.slot_unavailable"


class SlotTaken(BookingError):
    """Someone else just took the slot (or an overlapping one)."""

    key = "booking_errors.slot_taken"


class LeaderBusy(BookingError):
    """The leader already has a session overlapping the slot."""

    key = "booking_errors.leader_busy"


class NoSessionsLeft(BookingError):
    """The leader has used every session of the programme (values: allowed)."""

    key = "booking_errors.no_sessions_left"


class CoachFull(BookingError):
    """The coach is at capacity (values: coach)."""

    key = "booking_errors.coach_full"


class NotYours(BookingError):
    """The booking is not this person's to change."""

    key = "booking_errors.not_yours"


class CoachNotOffered(NotYours):
    """The coach is not one this leader may choose (another organisation or modality)."""

    key = "booking_errors.coach_not_offered"


class NotLive(BookingError):
    """The booking is already cancelled or over."""

    key = "booking_errors.not_live"


class TooLateToMove(BookingError):
    """Inside the late-cancel window a session can be cancelled (counted) but not moved."""

    key = "booking_errors.too_late_to_move"


class AlreadyJoined(BookingError):
    """The leader already holds a place in this group session."""

    key = "booking_errors.already_joined"


class GroupFull(BookingError):
    """Every seat of the group session is taken."""

    key = "booking_errors.group_full"


class NotInCohort(BookingError):
    """The group session is for another cohort or programme."""

    key = "booking_errors.not_in_cohort"


class NotYourCoach(BookingError):
    """Sessions are booked with the leader's own coach (values: coach)."""

    key = "booking_errors.not_your_coach"


class AlreadyYourCoach(BookingError):
    """A chemistry call is for meeting a coach before choosing them (values: coach)."""

    key = "booking_errors.already_your_coach"


class ChemistryDone(BookingError):
    """A chemistry call with this coach is already booked or held."""

    key = "booking_errors.chemistry_done"


class BadAway(BookingError):
    """An away period that cannot be used; `why` picks the explanation (booking_errors.away_*)."""

    key = "booking_errors.away_format"

    def __init__(self, why: str = "format", **values: object) -> None:
        super().__init__(**values)
        self.why = why
        self.key = f"booking_errors.away_{why}"
