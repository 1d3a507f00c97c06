"""The human line of a clock move: run count, what was done, what failed; no raw counters."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.web.sweeps import sweep_line
from prompts import copy_for

UNTIL = datetime(2026, 12, 1, 8, tzinfo=UTC)
OUTBOX = "claimed {n}, sent {n}, retrying 0, held 0, paced 0, dead 0, superseded 0, no sender 0"


def line(jobs: list[tuple[str, str]]) -> str:
    return sweep_line(jobs, until=UNTIL, zone="Europe/Paris", copy=copy_for("en"))


def test_many_runs_with_counts() -> None:
    jobs = [("welcome", "3 welcomed (96 runs)"), ("outbox", OUTBOX.format(n=6) + " (96 runs)")]
    assert line(jobs) == (
        "Ran the sweeps 96 times up to Tue 1 Dec 2026, 09:00 CET: 3 welcomes, 6 messages delivered."
    )


def test_one_run_and_singulars() -> None:
    jobs = [("welcome", "1 welcomed"), ("outbox", OUTBOX.format(n=1))]
    assert line(jobs) == (
        "Ran the sweeps at Tue 1 Dec 2026, 09:00 CET: 1 welcome, 1 message delivered."
    )


def test_nothing_due() -> None:
    jobs = [("welcome", "0 welcomed (4 runs)"), ("outbox", OUTBOX.format(n=0) + " (4 runs)")]
    assert line(jobs).endswith(": nothing was due.")
    assert "claimed" not in line(jobs)


def test_failures_and_jobs_without_words_of_their_own() -> None:
    jobs = [
        ("welcome", "2 welcomed (10 runs, 1 failed)"),
        ("nudges", "4 nudged (10 runs)"),
        ("reminders", "FAILED (RuntimeError) (10 runs, 10 failed)"),
        ("outbox", "last: paused (10 runs)"),
    ]
    assert line(jobs) == (
        "Ran the sweeps 10 times up to Tue 1 Dec 2026, 09:00 CET: 2 welcomes, 4 nudged, "
        "last: paused, the welcome sweep failed (the server log says why), "
        "the reminders sweep failed (the server log says why)."
    )
