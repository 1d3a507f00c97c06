"""Goal Attainment Scaling T-scores (Kiresuk & Sherman 1968), pure maths.

T = 50 + 10·Σ(wᵢxᵢ) / sqrt((1 − ρ)·Σwᵢ² + ρ·(Σwᵢ)²)

xᵢ is the level reached on goal i (−2..+2, 0 = the expected outcome), wᵢ its weight (1 when
unweighted; Turner-Stokes 2009 uses importance × difficulty) and ρ the assumed correlation
between goal scales (0.3 by convention). The formula is as given by Kiresuk & Sherman (1968)
and, corrected by its erratum, by Turner-Stokes (2009, Clin Rehabil 23:362-70).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MIN_LEVEL = -2
MAX_LEVEL = 2
LEVELS = tuple(range(MIN_LEVEL, MAX_LEVEL + 1))
EXPECTED = 0
DEFAULT_RHO = 0.3


def check_level(level: object) -> int:
    """Return `level` if it is a whole GAS level −2..+2, else raise ValueError."""
    if isinstance(level, bool) or not isinstance(level, int):
        raise ValueError(f"a GAS level must be a whole number, got {level!r}")
    if not MIN_LEVEL <= level <= MAX_LEVEL:
        raise ValueError(f"a GAS level must be between -2 and +2, got {level}")
    return level


def _check_weights(weights: Sequence[float], count: int) -> list[float]:
    if len(weights) != count:
        raise ValueError(f"{count} levels but {len(weights)} weights: give one weight per goal")
    checked: list[float] = []
    for i, weight in enumerate(weights):
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError(f"weight {i + 1} must be a number, got {weight!r}")
        if not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"weight {i + 1} must be a finite number above 0, got {weight}")
        checked.append(float(weight))
    return checked


def _check_rho(rho: float) -> float:
    if isinstance(rho, bool) or not isinstance(rho, int | float):
        raise ValueError(f"rho must be a number, got {rho!r}")
    if not (math.isfinite(rho) and 0 <= rho < 1):
        raise ValueError(f"rho must be at least 0 and below 1, got {rho}")
    return float(rho)


def t_score(
    levels: Sequence[int], weights: Sequence[float] | None = None, rho: float = DEFAULT_RHO
) -> float:
    """The aggregated GAS T-score of goals at `levels` (50 = every goal exactly as expected)."""
    if isinstance(levels, str | bytes) or len(levels) == 0:
        raise ValueError("a T-score needs at least one goal level")
    xs = [check_level(level) for level in levels]
    ws = [1.0] * len(xs) if weights is None else _check_weights(weights, len(xs))
    r = _check_rho(rho)
    numerator = math.fsum(w * x for w, x in zip(ws, xs, strict=True))
    if numerator == 0:
        return 50.0
    variance = (1 - r) * math.fsum(w * w for w in ws) + r * math.fsum(ws) ** 2
    return 50.0 + 10.0 * numerator / math.sqrt(variance)


def single_goal_t(level: int) -> float:
    """The T-score of one goal on its own: 50 + 10·level (weight and ρ cancel out)."""
    return 50.0 + 10.0 * check_level(level)


def equal_weight_constant(goals: int, rho: float = DEFAULT_RHO) -> float:
    """Kiresuk & Sherman's C for `goals` equally weighted goals: T = 50 + C·Σxᵢ."""
    if isinstance(goals, bool) or not isinstance(goals, int) or goals < 1:
        raise ValueError(f"the number of goals must be a whole number of at least 1, got {goals}")
    r = _check_rho(rho)
    return 10.0 / math.sqrt((1 - r) * goals + r * goals * goals)
