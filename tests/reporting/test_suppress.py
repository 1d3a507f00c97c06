"""Small-group suppression: unit cases and property tests over random organisations."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reporting.cells import ALL, BREAKDOWNS, UNKNOWN, Cell, Population, Shown
from bot.reporting.suppress import (
    MIN_GROUP_DEFAULT,
    MIN_GROUP_FLOOR,
    check_min_group,
    summarise,
    suppress,
    suppressed_count,
)

W0 = date(2026, 1, 5)


def week(n: int) -> date:
    return W0 + timedelta(weeks=n)


def mask(*people: int) -> int:
    out = 0
    for p in people:
        out |= 1 << p
    return out


def span(lo: int, hi: int) -> int:
    """People lo..hi-1."""
    return mask(*range(lo, hi))


def cell(members: int, breakdown: str = ALL, group: str = ALL, *, when: int | None = 0,
         metric: str = "active leaders") -> Cell:  # fmt: skip
    return Cell(
        metric=metric,
        breakdown=breakdown,
        group=group,
        week=None if when is None else week(when),
        value=float(members.bit_count()),
        members=members,
    )


def reasons(shown: Sequence[Shown]) -> list[str]:
    return [s.reason for s in shown]


# --- unit cases -------------------------------------------------------------------------------


def test_min_group_floor_is_three() -> None:
    assert (MIN_GROUP_DEFAULT, MIN_GROUP_FLOOR) == (5, 3)
    assert check_min_group(3) == 3
    assert check_min_group(5) == 5
    for bad in (2, 1, 0, -5):
        with pytest.raises(ValueError, match="below the floor of 3"):
            check_min_group(bad)
    with pytest.raises(ValueError):
        check_min_group(True)
    with pytest.raises(ValueError):
        check_min_group(4.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="below the floor"):
        suppress([cell(span(0, 10))], min_group=2)
    with pytest.raises(ValueError, match="below the floor"):
        summarise([], min_group=2)


def test_small_and_empty_cells_are_suppressed() -> None:
    cells = [cell(span(0, 5)), cell(span(5, 9), when=1), cell(0, when=2)]
    assert reasons(suppress(cells, min_group=5)) == ["", "small", "small"]
    assert reasons(suppress(cells, min_group=3)) == ["", "", "small"]


def test_a_small_sibling_forces_a_second_suppression() -> None:
    a, b, c = span(0, 10), span(10, 18), span(18, 20)
    cells = [
        cell(a | b | c),
        cell(a, "cohort", "A"),
        cell(b, "cohort", "B"),
        cell(c, "cohort", "C"),
    ]
    shown = suppress(cells, min_group=5)
    # C (2 people) is small; parent minus A would reveal B + C = 10 - not small, but parent
    # minus A and B reveals C, so the smallest shown sibling (B) goes too.
    assert reasons(shown) == ["", "", "complementary", "small"]
    assert [s.value for s in shown] == [20.0, 10.0, None, None]


def test_a_small_unknown_group_is_protected_like_any_other() -> None:
    a, b, unknown = span(0, 6), span(6, 12), span(12, 13)
    cells = [cell(a | b | unknown), cell(a, "region", "EU"), cell(b, "region", "US"),
             cell(unknown, "region", UNKNOWN)]  # fmt: skip
    assert reasons(suppress(cells, min_group=5)) == ["", "complementary", "", "small"]


def test_parent_minus_one_shown_child_of_size_two() -> None:
    big, small = span(0, 10), span(10, 12)
    cells = [cell(big | small), cell(big, "programme", "P1"), cell(small, "programme", "P2")]
    assert reasons(suppress(cells, min_group=5)) == ["", "complementary", "small"]


def test_whole_period_minus_a_week() -> None:
    everyone = span(0, 9)
    cells = [cell(everyone, when=None), cell(span(0, 7), when=1)]
    assert reasons(suppress(cells, min_group=3)) == ["", "complementary"]
    cells = [cell(everyone, when=None), cell(span(0, 6), when=1)]
    assert reasons(suppress(cells, min_group=3)) == ["", ""]


def test_week_after_week_where_one_person_left() -> None:
    before, after = span(0, 8), span(0, 7)
    cells = [
        cell(before, when=1),
        cell(before, "cohort", "A", when=1),
        cell(after, when=2),
        cell(after, "cohort", "A", when=2),
    ]
    shown = suppress(cells, min_group=5)
    # Week 2 minus week 1 would tell whether the leaver was active: week 2 goes (both cells of it:
    # cohort A is everyone, so the two figures are one).
    assert reasons(shown) == ["", "", "complementary", "complementary"]


def test_a_week_where_one_left_and_one_joined_is_not_nested() -> None:
    cells = [cell(span(0, 8), when=1), cell(span(1, 9), when=2)]
    assert reasons(suppress(cells, min_group=5)) == ["", ""]


def test_nested_groups_across_two_breakdowns() -> None:
    # Cohort A is 10 people; the senior level is 8 of them: A minus senior reveals two people.
    cells = [
        cell(span(0, 20)),
        cell(span(0, 10), "cohort", "A"),
        cell(span(10, 20), "cohort", "B"),
        cell(span(0, 8), "level", "senior"),
        cell(span(8, 15), "level", "junior"),
        cell(span(15, 20), "level", "middle"),
    ]
    shown = suppress(cells, min_group=5)
    assert reasons(shown) == ["", "", "", "complementary", "", ""]
    # The level family then hides 8 people, above the minimum: junior and middle stay.
    assert summarise(shown, min_group=5).complementary == 1


def test_a_hidden_cell_is_not_revealed_by_its_twin() -> None:
    # Region EU is exactly cohort A: when the region family hides EU, cohort A goes with it.
    a = span(0, 6)
    cells = [
        cell(span(0, 20)),
        cell(a, "cohort", "A"),
        cell(span(6, 10) | span(14, 18), "cohort", "B"),
        cell(span(10, 14) | span(18, 20), "cohort", "C"),
        cell(a, "region", "EU"),
        cell(span(6, 14) | span(16, 20), "region", "US"),
        cell(span(14, 16), "region", UNKNOWN),
    ]
    shown = suppress(cells, min_group=5)
    assert reasons(shown) == ["", "complementary", "", "", "complementary", "", "small"]


def test_cells_of_different_metrics_are_not_compared() -> None:
    cells = [cell(span(0, 10)), cell(span(0, 9), metric="leaders with a check-in")]
    assert reasons(suppress(cells, min_group=5)) == ["", ""]


def test_suppression_never_shows_a_value_and_counts_what_it_hid() -> None:
    a, b, c = span(0, 10), span(10, 18), span(18, 20)
    cells = [cell(a | b | c), cell(a, "cohort", "A"), cell(b, "cohort", "B"),
             cell(c, "cohort", "C")]  # fmt: skip
    shown = suppress(cells, min_group=5)
    assert [s.cell for s in shown] == cells
    for s in shown:
        assert (s.value is None) == s.suppressed
        assert s.suppressed == bool(s.reason)
    assert suppressed_count(shown) == 2
    summary = summarise(shown, min_group=5)
    assert (summary.min_group, summary.cells, summary.suppressed) == (5, 4, 2)
    assert (summary.small, summary.complementary) == (1, 1)


def test_the_outcome_does_not_depend_on_the_order_of_the_cells() -> None:
    a, b, c, d = span(0, 7), span(7, 14), span(14, 21), span(21, 23)
    cells = [cell(a | b | c | d)] + [
        cell(m, "cohort", g) for m, g in ((a, "A"), (b, "B"), (c, "C"), (d, "D"))
    ]
    expected = {s.cell: s.reason for s in suppress(cells, min_group=5)}
    # Three equal siblings: exactly one of them goes with D, always the same one.
    assert sorted(expected.values()) == ["", "", "", "complementary", "small"]
    rng = random.Random(8)
    for _ in range(20):
        shuffled = cells[:]
        rng.shuffle(shuffled)
        assert {s.cell: s.reason for s in suppress(shuffled, min_group=5)} == expected


# --- random organisations ---------------------------------------------------------------------

METRICS = ("active leaders", "leaders with a check-in")


@dataclass(frozen=True)
class Person:
    attrs: tuple[int | None, ...]  # one value (or None) per breakdown
    start: int
    end: int  # last week enrolled
    active: int  # bit w: active in week w
    goals: bool  # has goals (the check-in metric's population)
    checked_in: int  # bit w: checked in in week w


@dataclass(frozen=True)
class Org:
    people: tuple[Person, ...]
    weeks: int
    programme: int | None  # filter: one programme only
    selected: tuple[int, ...]  # filter: these weeks


def trait(byte: int, k: int) -> int | None:
    """One of k values, or None (not set)."""
    value = byte % (k + 1)
    return None if value == k else value


@st.composite
def orgs(draw: st.DrawFn) -> Org:
    weeks = draw(st.integers(1, 8))
    distinct = [draw(st.integers(1, 3)) for _ in BREAKDOWNS]
    size = draw(st.integers(1, 80))
    # One byte string for everyone (a draw per trait of 80 people is far too slow); each person
    # reads 6 attribute bytes (value, or None on the extra value), start, length, two weeks of
    # activity flags and a goals flag. It still shrinks, towards zero bytes.
    raw = draw(st.binary(min_size=11 * size, max_size=11 * size))
    people = []
    for n in range(size):
        b = raw[11 * n : 11 * (n + 1)]
        attrs = tuple(trait(b[i], k) for i, k in enumerate(distinct))
        start = b[6] % weeks
        end = start + b[7] % (weeks - start)
        people.append(Person(attrs, start, end, b[8], b[10] % 2 == 0, b[9]))
    programme = draw(st.none() | st.integers(0, distinct[0] - 1))
    selected = draw(st.lists(st.integers(0, weeks - 1), min_size=1, unique=True))
    return Org(tuple(people), weeks, programme, tuple(sorted(selected)))


Rows = list[tuple[int, Person]]


def label(p: Person, breakdown: int) -> str:
    """A person's group in a breakdown."""
    value = p.attrs[breakdown]
    return UNKNOWN if value is None else f"g{value}"


def build_cells(org: Org) -> list[Cell]:
    """Every metric's parent and breakdown groups, per selected week and for the whole period."""
    population = Population()
    scope = [
        (population.bit(f"p{i}"), p)
        for i, p in enumerate(org.people)
        if org.programme is None or p.attrs[0] == org.programme
    ]
    groups = [sorted({label(p, b) for _, p in scope}) for b in range(len(BREAKDOWNS))]

    def enrolled(p: Person, w: int | None) -> bool:
        weeks = org.selected if w is None else (w,)
        return any(p.start <= x <= p.end for x in weeks)

    def flagged(flags: int, w: int | None) -> bool:
        weeks = org.selected if w is None else (w,)
        return any(flags >> x & 1 for x in weeks)

    def make(metric: str, w: int | None, breakdown: str, group: str, chosen: Rows) -> Cell:
        members, value = 0, 0
        for bit, p in chosen:
            members |= bit
            value += flagged(p.active if metric == METRICS[0] else p.checked_in, w)
        when = None if w is None else week(w)
        return Cell(metric, breakdown, group, when, float(value), members, "people")

    cells: list[Cell] = []
    for metric in METRICS:
        for w in (*org.selected, None):
            rows = [
                (bit, p) for bit, p in scope if enrolled(p, w) and (metric == METRICS[0] or p.goals)
            ]
            cells.append(make(metric, w, ALL, ALL, rows))
            for b, breakdown in enumerate(BREAKDOWNS):
                for group in groups[b]:
                    chosen = [(bit, p) for bit, p in rows if label(p, b) == group]
                    cells.append(make(metric, w, breakdown, group, chosen))
    return cells


def check_invariants(shown: list[Shown], m: int) -> None:
    """The privacy properties of a suppressed report."""
    by_metric: dict[str, list[Shown]] = defaultdict(list)
    for s in shown:
        by_metric[s.cell.metric].append(s)
        # (0) A hidden cell never carries its value.
        assert (s.value is None) == s.suppressed
        # (1) No shown cell covers fewer than the minimum (nor nobody).
        if not s.suppressed:
            assert s.cell.size >= m > 0
    for cells in by_metric.values():
        # (2) No two shown cells of a metric with nested populations differ by a small group.
        masks = sorted({s.cell.members for s in cells if not s.suppressed}, key=int.bit_count)
        for i, small in enumerate(masks):
            for big in masks[i + 1 :]:
                if big & small == small:
                    assert (big & ~small).bit_count() >= m
        # (3) Each family: the parent minus its shown children is nobody or at least the minimum.
        parents: dict[date | None, int] = defaultdict(int)
        families: dict[tuple[date | None, str], list[Shown]] = defaultdict(list)
        twins: dict[tuple[date | None, int], set[bool]] = defaultdict(set)
        for s in cells:
            parents[s.cell.week] |= s.cell.members
            twins[(s.cell.week, s.cell.members)].add(s.suppressed)
            if s.cell.breakdown != ALL:
                families[(s.cell.week, s.cell.breakdown)].append(s)
        for (when, _), children in families.items():
            covered = 0
            for s in children:
                if not s.suppressed:
                    covered |= s.cell.members
            if covered:
                rest = (parents[when] & ~covered).bit_count()
                assert rest == 0 or rest >= m
        # (5) Cells of one week with the same people (same figure) are shown or hidden together.
        assert all(len(states) == 1 for states in twins.values())


@settings(max_examples=400, deadline=None)
@given(org=orgs(), m=st.integers(3, 8), seed=st.randoms(use_true_random=False))
def test_random_organisations_never_reveal_a_small_group(
    org: Org, m: int, seed: random.Random
) -> None:
    cells = build_cells(org)
    shown = suppress(cells, min_group=m)
    assert [s.cell for s in shown] == cells
    check_invariants(shown, m)
    # (4) Deterministic, and independent of the order of the cells.
    assert suppress(cells, min_group=m) == shown
    order = list(range(len(cells)))
    seed.shuffle(order)
    again = suppress([cells[i] for i in order], min_group=m)
    assert [again[k].reason for k in sorted(range(len(order)), key=order.__getitem__)] == [
        s.reason for s in shown
    ]
    # Never un-suppress: every small cell stays hidden as small.
    for s in shown:
        if s.cell.size < m:
            assert s.reason == "small"


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 12), min_size=1, max_size=6),
    m=st.integers(3, 8),
)
def test_a_single_family_keeps_its_remainder_safe(sizes: list[int], m: int) -> None:
    cells, start = [], 0
    for n, size in enumerate(sizes):
        cells.append(cell(span(start, start + size), "cohort", f"c{n}"))
        start += size
    cells.insert(0, cell(span(0, start)))
    shown = suppress(cells, min_group=m)
    check_invariants(shown, m)
    hidden = sum(s.cell.size for s in shown[1:] if s.suppressed)
    assert hidden == 0 or hidden >= m or all(s.suppressed for s in shown)


def test_twenty_thousand_cells_run_fast() -> None:
    """A realistic report: 2,000 leaders, 52 weeks, 10 metrics (generous bound)."""
    cells = large_report(seed=1)
    assert len(cells) >= 20_000
    started = time.perf_counter()
    shown = suppress(cells, min_group=5)
    elapsed = time.perf_counter() - started
    check_single_metric_sample(shown, 5)
    assert elapsed < 20


def large_report(seed: int, leaders: int = 2_000, weeks: int = 52) -> list[Cell]:
    """Cells of a large organisation, built fast with plain random numbers."""
    rng = random.Random(seed)
    sizes = (3, 2, 12, 4, 6, 5)  # values per breakdown
    attrs = [
        [None if rng.random() < 0.05 else rng.randrange(k) for k in sizes] for _ in range(leaders)
    ]
    spans = []
    for _ in range(leaders):
        start = rng.randrange(weeks) if rng.random() < 0.3 else 0
        end = rng.randrange(start, weeks) if rng.random() < 0.2 else weeks - 1
        spans.append((start, end))
    cells: list[Cell] = []
    for metric in [f"metric {n}" for n in range(10)]:
        for w in (*range(weeks), None):
            rows = [i for i, (s, e) in enumerate(spans) if w is None or s <= w <= e]
            if not metric.endswith("0"):
                rows = [i for i in rows if (i * 7 + ord(metric[-1])) % 5]
            everyone = 0
            for i in rows:
                everyone |= 1 << i
            when = None if w is None else week(w)
            cells.append(Cell(metric, ALL, ALL, when, 1.0, everyone))
            for b, breakdown in enumerate(BREAKDOWNS):
                groups: dict[str, int] = defaultdict(int)
                for i in rows:
                    value = attrs[i][b]
                    groups[UNKNOWN if value is None else f"g{value}"] |= 1 << i
                for group, members in sorted(groups.items()):
                    cells.append(Cell(metric, breakdown, group, when, 1.0, members))
    return cells


def check_single_metric_sample(shown: list[Shown], m: int) -> None:
    """The invariants on one metric of a large report (the pairwise check is quadratic)."""
    first = shown[0].cell.metric
    check_invariants([s for s in shown if s.cell.metric == first], m)
