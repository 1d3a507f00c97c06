"""Token buckets that pace delivery per workspace or tenant; time is passed in, never read."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """A sustained rate (tokens per second, `math.inf` for no limit) and a burst size."""

    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if not self.per_second > 0:
            raise ValueError("a rate must be positive (use math.inf for no limit)")
        if self.burst < 1:
            raise ValueError("a burst must allow at least one message")

    @property
    def unlimited(self) -> bool:
        """True when this rate never makes anyone wait."""
        return math.isinf(self.per_second)


UNLIMITED = Rate(per_second=math.inf, burst=1)

# Slack chat.postMessage: about 1 message/s per channel and "several hundred per minute" per
# workspace; a bucket is one workspace, and its messages go to many DMs, so 3/s (180/min) stays
# well under the workspace limit. Teams: 50 requests/s per app per tenant; we use 20/s so that
# a few replicas together stay under it. The web playground has no platform limit.
DEFAULT_RATES: Mapping[str, Rate] = {
    "slack": Rate(per_second=3.0, burst=6),
    "teams": Rate(per_second=20.0, burst=20),
    "web": UNLIMITED,
}


def rate_for(rates: Mapping[str, Rate], *, bucket: str, channel: str) -> Rate:
    """The rate of a bucket: an entry for the bucket itself, else for its channel, else none."""
    return rates.get(bucket) or rates.get(channel) or UNLIMITED


class TokenBucket:
    """A classic token bucket over caller-supplied time in seconds (monotonic or epoch)."""

    def __init__(self, rate: Rate, *, at: float) -> None:
        self.rate = rate
        self.tokens = float(rate.burst)
        self.stamp = at

    def _refill(self, at: float) -> None:
        if at > self.stamp:
            gained = (at - self.stamp) * self.rate.per_second
            self.tokens = min(float(self.rate.burst), self.tokens + gained)
            self.stamp = at

    def take(self, at: float) -> float:
        """Take one token at time `at`: 0.0 when taken, else the seconds until one is due."""
        if self.rate.unlimited:
            return 0.0
        self._refill(at)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate.per_second

    def due_in(self, count: int, at: float) -> float:
        """Seconds from `at` until `count` more tokens could be taken (0.0 if already there)."""
        if self.rate.unlimited or count <= 0:
            return 0.0
        self._refill(at)
        missing = count - self.tokens
        return max(0.0, missing / self.rate.per_second)
