"""Retry delays: exponential backoff with equal jitter, so delays grow and never bunch up."""

from __future__ import annotations

import random
from datetime import timedelta


def backoff(attempt: int, *, base: timedelta, cap: timedelta, rng: random.Random) -> timedelta:
    """The wait before retry number `attempt` (1-based): half fixed, half random, capped."""
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2.0 ** max(0, attempt - 1))
    half = ceiling / 2.0
    return timedelta(seconds=half + rng.uniform(0.0, half))
