"""Every refusal the booking core can raise has words for people in prompts/messages."""

from __future__ import annotations

import string

from bot.booking import errors
from prompts import Copy, _catalogue

AWAY_REASONS = ("format", "date", "order", "over", "too_long")


def _refusals() -> list[type[errors.BookingError]]:
    found = [errors.BookingError]
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, errors.BookingError):
            found.append(value)
    return found


def test_every_refusal_has_copy_naming_only_values_it_is_given() -> None:
    copy = Copy("en")
    keys = [cls.key for cls in _refusals()] + [errors.BadAway(why).key for why in AWAY_REASONS]
    for key in keys:
        assert copy.has(key), key
    formatter = string.Formatter()
    named = {
        errors.ZoneMissing.key: {"name"},
        errors.NoSessionsLeft.key: {"allowed"},
        errors.CoachFull.key: {"coach"},
        errors.TooLateToMove.key: {"hours"},
        errors.ChemistryDone.key: {"coach"},
        errors.AlreadyYourCoach.key: {"coach"},
        errors.NotYourCoach.key: {"coach"},
        errors.BadAway("too_long").key: {"days"},
    }
    for key in keys:
        fields = {f for _, f, _, _ in formatter.parse(_catalogue("en")[key]) if f}
        assert fields == named.get(key, set()), key
