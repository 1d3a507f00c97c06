"""GAS T-scores against worked examples from the literature, and their properties.

Sources used for the examples (formula and conventions, not copied text):
- Kiresuk TJ, Sherman RE (1968) "Goal attainment scaling: a general method for evaluating
  comprehensive community mental health programs", Community Ment Health J 4:443-453: the
  T-score formula, ρ = 0.3, and for equal weights T = 50 + C·Σxᵢ with C = 10/sqrt(0.7n + 0.3n²).
- Turner-Stokes L (2009) "Goal attainment scaling (GAS) in rehabilitation: a practical guide",
  Clin Rehabil 23:362-370 and its erratum (the corrected formula 50 + 10Σwᵢxᵢ /
  sqrt(0.7Σwᵢ² + 0.3(Σwᵢ)²)); weights are importance (0-3) × difficulty (0-3).
- Turner-Stokes L, Williams H (2010) "Goal attainment scaling: a direct comparison of
  alternative rating methods", Clin Rehabil 24:66-73 (PubMed 20026573): standard rating gave
  baseline T-scores median 34.9, IQR 31.9-35.5; these are what the formula gives for five goals
  all at −1 (34.92), four goals all at −1 (35.49) and four goals at −1, −1, −1, −2 (31.86).
- R package gasr (taylordunn/gasr, calc_tscore) documented example: scores (−2, 0, −1, 2, 0, 1),
  weights (3, 5, 1, 4, 2, 6), ρ = 0.3, which works out to exactly 55.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.goals.gas import equal_weight_constant, single_goal_t, t_score

levels_st = st.integers(min_value=-2, max_value=2)
weight_st = st.floats(min_value=0.1, max_value=100, allow_nan=False, allow_infinity=False)
rho_st = st.floats(min_value=0, max_value=0.99, allow_nan=False)


@st.composite
def goal_sets(draw: st.DrawFn) -> tuple[list[int], list[float], float]:
    n = draw(st.integers(min_value=1, max_value=6))
    levels = draw(st.lists(levels_st, min_size=n, max_size=n))
    weights = draw(st.lists(weight_st, min_size=n, max_size=n))
    return levels, weights, draw(rho_st)


# --- worked examples ---------------------------------------------------------------------


def test_three_goals_as_expected_is_fifty() -> None:
    assert t_score([0, 0, 0]) == 50.0


def test_three_goals_all_one_better_than_expected() -> None:
    # Kiresuk & Sherman, equal weights: 50 + 10·3 / sqrt(0.7·3 + 0.3·3²) = 50 + 30/sqrt(4.8)
    expected = 50 + 10 * 3 / math.sqrt(0.7 * 3 + 0.3 * 9)
    assert t_score([1, 1, 1]) == pytest.approx(expected, abs=1e-12)
    assert t_score([1, 1, 1]) == pytest.approx(63.6931, abs=1e-4)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 10])
def test_equal_weight_constant(n: int) -> None:
    c = 10 / math.sqrt(0.7 * n + 0.3 * n * n)
    assert equal_weight_constant(n) == pytest.approx(c, abs=1e-12)
    levels = [(-2, -1, 0, 1, 2)[i % 5] for i in range(n)]
    assert t_score(levels) == pytest.approx(50 + c * sum(levels), abs=1e-12)


def test_equal_weight_constant_for_three_goals() -> None:
    # 10/sqrt(4.8) = 4.5644: each level of each of three goals moves T by about 4.56 points
    assert equal_weight_constant(3) == pytest.approx(4.5644, abs=1e-4)


@pytest.mark.parametrize(
    ("levels", "published"),
    [
        ([-1, -1, -1, -1, -1], 34.9),  # median baseline, Turner-Stokes & Williams 2010
        ([-1, -1, -1, -1], 35.5),  # upper quartile of baseline
        ([-1, -1, -1, -2], 31.9),  # lower quartile of baseline
    ],
)
def test_baselines_match_published_figures(levels: list[int], published: float) -> None:
    n = len(levels)
    by_hand = 50 + 10 * sum(levels) / math.sqrt(0.7 * n + 0.3 * n * n)
    assert t_score(levels) == pytest.approx(by_hand, abs=1e-12)
    assert round(t_score(levels), 1) == published


def test_all_at_minus_one_by_number_of_goals() -> None:
    # one goal 40; two 50 − 20/sqrt(2.6); three 50 − 30/sqrt(4.8)
    assert t_score([-1]) == 40.0
    assert t_score([-1, -1]) == pytest.approx(37.5965, abs=1e-4)
    assert t_score([-1, -1, -1]) == pytest.approx(36.3069, abs=1e-4)


def test_gasr_documented_example_is_exactly_55() -> None:
    levels = [-2, 0, -1, 2, 0, 1]
    weights = [3.0, 5.0, 1.0, 4.0, 2.0, 6.0]
    # Σwx = −6 + 0 − 1 + 8 + 0 + 6 = 7; Σw² = 91; Σw = 21 → 0.7·91 + 0.3·441 = 196 = 14²
    assert t_score(levels, weights) == pytest.approx(50 + 10 * 7 / 14, abs=1e-12)
    assert t_score(levels, weights) == pytest.approx(55.0, abs=1e-12)


def test_turner_stokes_weighted_goals() -> None:
    # Weight = importance × difficulty (Turner-Stokes 2009), three goals:
    #   goal A: very important (3) × moderately difficult (2) = 6, reached +1
    #   goal B: moderately important (2) × a little difficult (1) = 2, reached 0
    #   goal C: a little important (1) × very difficult (3) = 3, reached −1
    # Σwx = 6 + 0 − 3 = 3; Σw² = 36 + 4 + 9 = 49; (Σw)² = 121
    # T = 50 + 10·3 / sqrt(0.7·49 + 0.3·121) = 50 + 30 / sqrt(70.6)
    weights = [3.0 * 2, 2.0 * 1, 1.0 * 3]
    got = t_score([1, 0, -1], weights)
    assert got == pytest.approx(50 + 30 / math.sqrt(70.6), abs=1e-12)
    assert got == pytest.approx(53.5704, abs=1e-4)
    # unweighted, the same levels cancel out exactly
    assert t_score([1, 0, -1]) == 50.0


def test_turner_stokes_weighted_baseline() -> None:
    # Same goals at their baselines (−1, −1, −2): Σwx = −6 − 2 − 6 = −14
    got = t_score([-1, -1, -2], [6.0, 2.0, 3.0])
    assert got == pytest.approx(50 - 140 / math.sqrt(70.6), abs=1e-12)
    assert got == pytest.approx(33.3381, abs=1e-4)


def test_rho_zero_is_independent_goals() -> None:
    # ρ = 0: T = 50 + 10Σwx / sqrt(Σw²); four goals all +1 → 50 + 40/2
    assert t_score([1, 1, 1, 1], rho=0) == 70.0


def test_single_goal_is_fifty_plus_ten_per_level() -> None:
    assert [single_goal_t(x) for x in (-2, -1, 0, 1, 2)] == [30.0, 40.0, 50.0, 60.0, 70.0]
    for x in (-2, -1, 0, 1, 2):
        assert t_score([x]) == single_goal_t(x)


def test_range_for_three_equal_goals() -> None:
    top = 50 + 60 / math.sqrt(4.8)
    assert t_score([2, 2, 2]) == pytest.approx(top, abs=1e-12)
    assert t_score([-2, -2, -2]) == pytest.approx(100 - top, abs=1e-12)


def test_accepts_tuples_and_int_weights() -> None:
    assert t_score((1, 0, -1), (6, 2, 3)) == t_score([1, 0, -1], [6.0, 2.0, 3.0])


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [[], (), "", "012"])
def test_needs_at_least_one_goal(levels: list[int]) -> None:
    with pytest.raises(ValueError, match="at least one goal"):
        t_score(levels)


@pytest.mark.parametrize("bad", [3, -3, 10])
def test_levels_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="between -2 and \\+2"):
        t_score([0, bad])
    with pytest.raises(ValueError, match="between -2 and \\+2"):
        single_goal_t(bad)


@pytest.mark.parametrize("bad", [1.0, 0.5, True, None, "1"])
def test_levels_must_be_whole_numbers(bad: object) -> None:
    with pytest.raises(ValueError, match="whole number"):
        t_score([0, bad])  # type: ignore[list-item]


def test_weights_same_length() -> None:
    with pytest.raises(ValueError, match="2 levels but 3 weights"):
        t_score([0, 1], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="2 levels but 1 weights"):
        t_score([0, 1], [1.0])


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, math.nan, math.inf, -math.inf])
def test_weights_positive_and_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="weight 2 must be a finite number above 0"):
        t_score([0, 1], [1.0, bad])


@pytest.mark.parametrize("bad", [True, None, "2"])
def test_weights_must_be_numbers(bad: object) -> None:
    with pytest.raises(ValueError, match="weight 1 must be a number"):
        t_score([0], [bad])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, math.nan, math.inf])
def test_rho_in_range(bad: float) -> None:
    with pytest.raises(ValueError, match="rho must be at least 0 and below 1"):
        t_score([1], rho=bad)
    with pytest.raises(ValueError, match="rho"):
        equal_weight_constant(3, rho=bad)


def test_rho_must_be_number() -> None:
    with pytest.raises(ValueError, match="rho must be a number"):
        t_score([1], rho=True)


@pytest.mark.parametrize("bad", [0, -1, True])
def test_equal_weight_constant_needs_goals(bad: int) -> None:
    with pytest.raises(ValueError, match="number of goals"):
        equal_weight_constant(bad)


# --- properties --------------------------------------------------------------------------


@given(goal_sets(), st.data())
def test_raising_any_level_raises_t(
    goals: tuple[list[int], list[float], float], data: st.DataObject
) -> None:
    levels, weights, rho = goals
    below_top = [i for i, x in enumerate(levels) if x < 2]
    if not below_top:
        return
    i = data.draw(st.sampled_from(below_top))
    higher = list(levels)
    higher[i] += 1
    assert t_score(higher, weights, rho) > t_score(levels, weights, rho)


@given(goal_sets())
def test_all_expected_is_exactly_fifty(goals: tuple[list[int], list[float], float]) -> None:
    levels, weights, rho = goals
    assert t_score([0] * len(levels), weights, rho) == 50.0


@given(goal_sets())
def test_negating_levels_mirrors_around_fifty(goals: tuple[list[int], list[float], float]) -> None:
    levels, weights, rho = goals
    up = t_score(levels, weights, rho)
    down = t_score([-x for x in levels], weights, rho)
    assert up - 50 == pytest.approx(50 - down, abs=1e-9)


@given(goal_sets(), st.floats(min_value=0.01, max_value=100))
def test_scaling_all_weights_changes_nothing(
    goals: tuple[list[int], list[float], float], k: float
) -> None:
    levels, weights, rho = goals
    scaled = [w * k for w in weights]
    assert t_score(levels, scaled, rho) == pytest.approx(t_score(levels, weights, rho), abs=1e-9)


@given(levels_st, weight_st, rho_st)
def test_one_goal_ignores_weight_and_rho(level: int, weight: float, rho: float) -> None:
    assert t_score([level], [weight], rho) == pytest.approx(single_goal_t(level), abs=1e-9)


@given(goal_sets())
def test_matches_formula_written_out(goals: tuple[list[int], list[float], float]) -> None:
    levels, weights, rho = goals
    num = sum(w * x for w, x in zip(weights, levels, strict=True))
    den = (1 - rho) * sum(w * w for w in weights) + rho * sum(weights) ** 2
    assert t_score(levels, weights, rho) == pytest.approx(50 + 10 * num / math.sqrt(den), abs=1e-9)


@given(st.lists(levels_st, min_size=1, max_size=6))
def test_equal_weights_stay_within_the_all_two_bounds(levels: list[int]) -> None:
    n = len(levels)
    reach = 2 * n * equal_weight_constant(n)
    assert 50 - reach - 1e-9 <= t_score(levels) <= 50 + reach + 1e-9
