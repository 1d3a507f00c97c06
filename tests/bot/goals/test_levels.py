"""A goal's GAS scale: which level descriptions are accepted, and why others are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.goals.levels import (
    MAX_DESCRIPTION,
    LevelsError,
    baseline_ok,
    level_name,
    parse_level_key,
    validate_levels,
)

FULL = {
    "-2": "Avoids the hard conversation entirely",
    "-1": "Raises it only when asked",
    "0": "Raises it within a week, with notes",
    "+1": "Raises it within a week and agrees a next step",
    "+2": "Raises it the same day and follows up in writing",
}


def problems_of(levels: dict[str, str]) -> list[str]:
    with pytest.raises(LevelsError) as caught:
        validate_levels(levels)
    return caught.value.problems


def test_full_scale_keyed_by_int_in_order() -> None:
    got = validate_levels(FULL)
    assert list(got) == [-2, -1, 0, 1, 2]
    assert got[1] == "Raises it within a week and agrees a next step"


def test_minimum_is_minus_one_zero_plus_one() -> None:
    got = validate_levels({"-1": "a", "0": "b", "+1": "c"})
    assert got == {-1: "a", 0: "b", 1: "c"}


@pytest.mark.parametrize("plus", ["1", "+1", " +1 "])
def test_plus_sign_is_optional(plus: str) -> None:
    got = validate_levels({"-1": "a", "0": "b", plus: "c", "2": "d"})
    assert got == {-1: "a", 0: "b", 1: "c", 2: "d"}


def test_unicode_minus_and_en_dash_accepted() -> None:
    got = validate_levels({"\u22121": "a", "0": "b", "1": "c", "\u20132": "d"})
    assert got == {-2: "d", -1: "a", 0: "b", 1: "c"}


def test_descriptions_are_stripped() -> None:
    got = validate_levels({"-1": "  a \n", "0": "\tb", "+1": "c  "})
    assert got == {-1: "a", 0: "b", 1: "c"}


def test_blank_optional_levels_are_left_out() -> None:
    got = validate_levels({"-2": "   ", "-1": "a", "0": "b", "+1": "c", "+2": ""})
    assert got == {-1: "a", 0: "b", 1: "c"}


@pytest.mark.parametrize("missing", ["-1", "0", "+1"])
def test_each_required_level_must_be_written(missing: str) -> None:
    levels = {k: v for k, v in FULL.items() if k != missing}
    assert problems_of(levels) == [f"level {missing} must be written"]


def test_blank_required_level_counts_as_missing() -> None:
    assert problems_of({**FULL, "0": "   "}) == ["level 0 must be written"]


def test_empty_scale_lists_all_three_missing() -> None:
    assert problems_of({}) == [
        "level -1 must be written",
        "level 0 must be written",
        "level +1 must be written",
    ]


def test_description_at_most_200_characters() -> None:
    assert validate_levels({**FULL, "0": "x" * MAX_DESCRIPTION})[0] == "x" * 200
    assert problems_of({**FULL, "0": "x" * 201}) == ["level 0 is 201 characters; at most 200"]


def test_length_counted_after_stripping() -> None:
    assert validate_levels({**FULL, "+2": "  " + "y" * 200 + "  "})[2] == "y" * 200


@pytest.mark.parametrize("bad", ["line\nbreak", "tab\there", "bell\x07", "nul\x00", "del\x7f"])
def test_no_control_characters(bad: str) -> None:
    assert problems_of({**FULL, "-1": bad}) == ["level -1 contains a control character"]


def test_emoji_and_accents_are_fine() -> None:
    got = validate_levels({**FULL, "+2": "Présente au comité 👩🏽‍💼"})
    assert got[2] == "Présente au comité 👩🏽‍💼"


@pytest.mark.parametrize("key", ["3", "-3", "+0", "-0", "one", "", "1.0", "+ 1", "++1"])
def test_unknown_keys_refused(key: str) -> None:
    assert problems_of({**FULL, key: "text"}) == [f"{key!r} is not a level (-2 to +2)"]


def test_same_level_twice_refused() -> None:
    assert problems_of({**FULL, "1": "another"}) == ["level +1 is given twice"]


def test_descriptions_must_differ() -> None:
    got = problems_of({**FULL, "+1": "Raises it only  WHEN asked"})
    assert got == ["levels -1 and +1 have the same description"]


def test_non_text_description_refused() -> None:
    levels: dict[str, object] = {**FULL, "0": 3}
    with pytest.raises(LevelsError) as caught:
        validate_levels(levels)  # type: ignore[arg-type]
    assert caught.value.problems == ["level 0 must be text"]


def test_every_problem_reported_at_once() -> None:
    err_levels = {"-2": "x" * 201, "-1": "ok\x01", "+1": "fine", "7": "?"}
    problems = problems_of(err_levels)
    assert problems == [
        "level -2 is 201 characters; at most 200",
        "level -1 contains a control character",
        "'7' is not a level (-2 to +2)",
        "level 0 must be written",
    ]


def test_error_carries_copy_keys_and_values() -> None:
    with pytest.raises(LevelsError) as caught:
        validate_levels({**FULL, "0": "x" * 250})
    (detail,) = caught.value.details
    assert detail.key == "goal_levels.too_long"
    assert dict(detail.values) == {"level": "0", "length": 250, "max": 200}
    assert isinstance(caught.value, ValueError)
    assert "at most 200" in str(caught.value)


def test_level_names_round_trip() -> None:
    assert [level_name(x) for x in range(-2, 3)] == ["-2", "-1", "0", "+1", "+2"]
    assert [parse_level_key(level_name(x)) for x in range(-2, 3)] == [-2, -1, 0, 1, 2]


@given(st.dictionaries(st.text(max_size=4), st.text(max_size=250), max_size=8))
def test_never_crashes_on_any_input(levels: dict[str, str]) -> None:
    try:
        got = validate_levels(levels)
    except LevelsError as err:
        assert err.problems
    else:
        assert {-1, 0, 1} <= set(got)
        assert all(0 < len(t) <= MAX_DESCRIPTION and t == t.strip() for t in got.values())


# --- baseline ----------------------------------------------------------------------------


def test_baseline_is_minus_one_or_minus_two() -> None:
    assert [baseline_ok(x) for x in (-2, -1, 0, 1, 2)] == [True, True, False, False, False]


@pytest.mark.parametrize("bad", [-3, 3, True, 1.0, None, "-1"])
def test_baseline_rejects_non_levels(bad: object) -> None:
    assert baseline_ok(bad) is False  # type: ignore[arg-type]


def test_baseline_must_be_written_when_scale_given() -> None:
    scale = validate_levels({"-1": "a", "0": "b", "+1": "c"})
    assert baseline_ok(-1, scale)
    assert not baseline_ok(-2, scale)
    assert baseline_ok(-2, validate_levels(FULL))
