"""Times shown in the viewer's zone with its abbreviation, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.timefmt import is_valid_zone, show


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        # London leaves BST on 25 Oct 2026; New York leaves EDT a week later, on 1 Nov 2026.
        (datetime(2026, 10, 24, 12, 0, tzinfo=UTC), "Europe/London", "Sat 24 Oct 2026, 13:00 BST"),
        (datetime(2026, 10, 26, 12, 0, tzinfo=UTC), "Europe/London", "Mon 26 Oct 2026, 12:00 GMT"),
        (
            datetime(2026, 10, 26, 12, 0, tzinfo=UTC),
            "America/New_York",
            "Mon 26 Oct 2026, 08:00 EDT",
        ),
        (datetime(2026, 11, 2, 12, 0, tzinfo=UTC), "America/New_York", "Mon 2 Nov 2026, 07:00 EST"),
        (
            datetime(2026, 4, 4, 15, 30, tzinfo=UTC),
            "Australia/Sydney",
            "Sun 5 Apr 2026, 02:30 AEDT",
        ),
        (
            datetime(2026, 4, 4, 16, 30, tzinfo=UTC),
            "Australia/Sydney",
            "Sun 5 Apr 2026, 02:30 AEST",
        ),
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "Asia/Kolkata", "Tue 24 Nov 2026, 14:30 IST"),
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "Asia/Dubai", "Tue 24 Nov 2026, 13:00 UTC+4"),
        (
            datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
            "America/Sao_Paulo",
            "Tue 24 Nov 2026, 06:00 UTC-3",
        ),
        (
            datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
            "Asia/Kathmandu",
            "Tue 24 Nov 2026, 14:45 UTC+5:45",
        ),
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "UTC", "Tue 24 Nov 2026, 09:00 UTC"),
    ],
)
def test_show_uses_the_viewers_zone_and_abbreviation(
    instant: datetime, zone: str, expected: str
) -> None:
    assert show(instant, zone) == expected


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        show(datetime(2026, 1, 1), "UTC")


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Europe/London", True),
        ("Asia/Kolkata", True),
        ("Europe/Lodnon", False),
        (" Europe/London", False),
        ("", False),
        ("../../etc/passwd", False),
        ("x" * 5000, False),
    ],
)
def test_zone_validation(name: str, valid: bool) -> None:
    assert is_valid_zone(name) is valid
