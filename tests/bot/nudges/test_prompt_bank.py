"""The reflection prompt bank: data files, strict loader, stage and the weekly chooser."""

from __future__ import annotations

import random
import re
import tomllib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import partial
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.nudges.prompt_bank import (
    APPROACHES,
    BANK_DIR,
    REPEAT_GAP,
    STAGES,
    THEMES,
    Prompt,
    PromptBankError,
    _load_dir,
    choose,
    load_bank,
    stage_for,
)

PREFIX = {
    "cognitive-behavioural": "cbt",
    "systemic": "sys",
    "adult-development": "adv",
    "action-learning": "act",
}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday


# --- the data -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(BANK_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_every_file_parses_and_loads_on_its_own(path: Path, tmp_path: Path) -> None:
    tomllib.loads(path.read_text(encoding="utf-8"))
    (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert len(_load_dir(tmp_path)) >= 12


def test_every_prompt_has_tags_from_the_closed_lists() -> None:
    bank = load_bank()
    assert load_bank() is bank  # cached
    for p in bank:
        assert p.approach in APPROACHES
        assert p.stages and set(p.stages) <= set(STAGES)
        assert p.themes and set(p.themes) <= set(THEMES)
        assert p.id.startswith(PREFIX[p.approach] + "-"), p.id
        assert 0 < len(p.text) <= 400


def test_counts_per_approach_stage_and_theme() -> None:
    bank = load_bank()
    assert len(bank) >= 48
    assert len({p.id for p in bank}) == len(bank)
    per_approach = Counter(p.approach for p in bank)
    assert all(per_approach[a] >= 12 for a in APPROACHES), per_approach
    per_stage = Counter(s for p in bank for s in p.stages)
    assert all(per_stage[s] >= 12 for s in STAGES), per_stage
    per_theme = Counter(t for p in bank for t in p.themes)
    assert all(per_theme[t] >= 5 for t in THEMES), per_theme
    for a in APPROACHES:  # each approach speaks to every stage and every theme
        mine = [p for p in bank if p.approach == a]
        assert {s for p in mine for s in p.stages} == set(STAGES), a
        assert {t for p in mine for t in p.themes} == set(THEMES), a


def test_texts_are_short_questions_that_do_not_advise() -> None:
    for p in load_bank():
        sentences = re.findall(r"[.?!](?:\s|$)", p.text)
        assert 1 <= len(sentences) <= 2, p.id
        assert p.text.endswith("?"), p.id
        lowered = p.text.lower()
        for advice in ("you should", "you must", "you need to", "make sure", "remember to"):
            assert advice not in lowered, (p.id, advice)


def test_readme_documents_every_tag() -> None:
    readme = (BANK_DIR / "README.md").read_text(encoding="utf-8")
    for tag in (*APPROACHES, *STAGES, *THEMES):
        assert f"`{tag}`" in readme, tag


# --- strict loading -------------------------------------------------------------------------

GOOD = """
[[prompt]]
id = "tst-01"
approach = "systemic"
stages = ["middle"]
themes = ["team"]
text = "What do you notice?"
"""


def _with(**changes: str) -> str:
    text = GOOD
    for key, value in changes.items():
        text = re.sub(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.M)
    return text


FILE_LEVEL = ("not valid TOML", "unknown top-level keys", "one or more [[prompt]]")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("[[prompt]\nid = 1", "not valid TOML"),
        ('title = "x"\n' + GOOD, "unknown top-level keys"),
        ("", "one or more [[prompt]]"),
        (_with(approach='"gestalt"'), "unknown approach 'gestalt'"),
        (_with(stages='["middle", "someday"]'), "unknown stages ['someday']"),
        (_with(themes='["team", "golf"]'), "unknown themes ['golf']"),
        (_with(themes="[]"), "themes must be a non-empty list"),
        (_with(stages='"middle"'), "stages must be a non-empty list"),
        (_with(stages='["middle", "middle"]'), "stages listed twice"),
        (_with(text='"   "'), "text is empty"),
        (_with(text=f'"{"x" * 401}?"'), "text is 402 characters"),
        (GOOD.replace('themes = ["team"]\n', ""), "missing keys ['themes']"),
        (GOOD + 'tone = "warm"\n', "unknown keys ['tone']"),
        (GOOD + GOOD, "id already used in bad.toml"),
    ],
)
def test_a_bad_file_names_the_file_and_the_prompt(tmp_path: Path, body: str, problem: str) -> None:
    (tmp_path / "bad.toml").write_text(body, encoding="utf-8")
    with pytest.raises(PromptBankError) as caught:
        _load_dir(tmp_path)
    message = str(caught.value)
    assert message.startswith("bad.toml: "), message
    assert problem in message, message
    if problem not in FILE_LEVEL:
        assert "prompt 'tst-01'" in message, message


def test_a_bad_id_and_a_clash_across_files(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(_with(id='"Bad Id"'), encoding="utf-8")
    with pytest.raises(PromptBankError, match=r"bad.toml: prompt 'Bad Id': id must look like"):
        _load_dir(tmp_path)
    (tmp_path / "bad.toml").write_text(_with(id="7"), encoding="utf-8")
    with pytest.raises(PromptBankError, match=r"bad.toml: prompt #1: id must look like"):
        _load_dir(tmp_path)
    (tmp_path / "bad.toml").unlink()
    (tmp_path / "a.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.toml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(PromptBankError, match=r"b.toml: prompt 'tst-01': id already used in a"):
        _load_dir(tmp_path)


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PromptBankError, match="no prompt files"):
        _load_dir(tmp_path)


# --- stage ----------------------------------------------------------------------------------


def _stage(now: datetime, *, ends_on: date | None = None, session: datetime | None = None) -> str:
    return stage_for(
        started_on=date(2026, 1, 5), ends_on=ends_on, last_session_end=session, now=now
    )


def test_stage_boundaries() -> None:
    end = date(2026, 9, 30)
    assert _stage(START) == "early"
    assert _stage(START - timedelta(days=3)) == "early"  # before the start
    assert _stage(START + timedelta(days=41)) == "early"
    assert _stage(START + timedelta(days=42)) == "middle"
    assert _stage(datetime(2026, 8, 18, 23, tzinfo=UTC), ends_on=end) == "middle"
    assert _stage(datetime(2026, 8, 19, tzinfo=UTC), ends_on=end) == "late"  # 6 weeks before
    assert _stage(datetime(2026, 11, 1, tzinfo=UTC), ends_on=end) == "late"  # after the end
    assert _stage(datetime(2026, 9, 1, tzinfo=UTC), ends_on=date(2027, 6, 30)) == "middle"
    assert _stage(datetime(2026, 7, 4, tzinfo=UTC)) == "middle"  # undated: 6 months
    assert _stage(datetime(2026, 7, 5, tzinfo=UTC)) == "late"


def test_stage_after_a_session_wins_for_three_days() -> None:
    now = START + timedelta(weeks=20)
    assert _stage(now, session=now - timedelta(days=3)) == "after-session"
    assert _stage(now, session=now - timedelta(days=3, seconds=1)) == "middle"
    assert _stage(now, session=now + timedelta(hours=1)) == "middle"  # not ended yet
    assert _stage(START, session=START - timedelta(hours=2)) == "after-session"


def test_stage_uses_the_calendar_date_of_now_as_given() -> None:
    utc = datetime(2026, 2, 15, 23, 30, tzinfo=UTC)  # 41 days in UTC, 42 in Kolkata
    assert _stage(utc) == "early"
    assert _stage(utc.astimezone(ZoneInfo("Asia/Kolkata"))) == "middle"
    with pytest.raises(ValueError, match="naive"):
        _stage(datetime(2026, 2, 15))


# --- choosing -------------------------------------------------------------------------------


def _prompt(pid: str, approach: str, stages: tuple[str, ...], themes: tuple[str, ...]) -> Prompt:
    return Prompt(id=pid, text="?", approach=approach, stages=stages, themes=themes)


def test_choose_rules_on_a_small_bank() -> None:
    a = _prompt("a-01", "systemic", ("middle",), ("team",))
    b = _prompt("b-01", "systemic", ("middle",), ("delegation",))
    c = _prompt("c-01", "action-learning", ("middle",), ("delegation",))
    d = _prompt("d-01", "action-learning", ("late",), ("delegation",))
    bank = (a, b, c, d)
    pick = partial(choose, bank=bank, stage="middle", now=START, seed=1)
    assert pick(history=[], goal_themes={"team"}) == a  # stage, then theme
    assert pick(history=[], goal_themes={"delegation"}) in (b, c)
    # rotation: the last prompt was systemic, so action learning wins the tie
    last = [("a-01", START - timedelta(weeks=1))]
    assert pick(history=last, goal_themes={"delegation"}) == c
    # sent 8 weeks ago is allowed again; a second less is not
    old = [("a-01", START - REPEAT_GAP)]
    assert pick(history=old, goal_themes={"team"}) == a
    recent = [("a-01", START - REPEAT_GAP + timedelta(seconds=1))]
    assert pick(history=recent, goal_themes={"team"}) != a
    # all sent recently: the least recently sent, whatever its tags
    everything = [(p.id, START - timedelta(days=i + 1)) for i, p in enumerate(bank)]
    assert pick(history=everything, goal_themes={"team"}) == d
    # unknown ids in the history and unknown goal themes are ignored
    assert pick(history=[("gone-01", START)], goal_themes={"golf"}) in bank


def test_choose_rejects_bad_input() -> None:
    bank = load_bank()
    with pytest.raises(ValueError, match="empty"):
        choose(bank=(), history=[], goal_themes=(), stage="middle", now=START, seed=1)
    with pytest.raises(ValueError, match="unknown stage"):
        choose(bank=bank, history=[], goal_themes=(), stage="midway", now=START, seed=1)
    with pytest.raises(ValueError, match="naive"):
        choose(
            bank=bank,
            history=[],
            goal_themes=(),
            stage="late",
            now=START.replace(tzinfo=None),
            seed=1,
        )


def _simulate(seed: int, themes: frozenset[str], ends_on: date | None) -> list[tuple[Prompt, str]]:
    """A year of Monday nudges; sessions end on Fridays every three weeks (then every five)."""
    bank = load_bank()
    sessions = [START + timedelta(weeks=w, days=4, hours=7) for w in range(0, 30, 3)]
    sessions += [START + timedelta(weeks=w, days=4, hours=7) for w in range(30, 60, 5)]
    history: list[tuple[str, datetime]] = []
    out: list[tuple[Prompt, str]] = []
    for week in range(52):
        now = START + timedelta(weeks=week)
        last = max((s for s in sessions if s <= now), default=None)
        stage = stage_for(started_on=START.date(), ends_on=ends_on, last_session_end=last, now=now)
        fresh = [p for p in bank if all(i != p.id or now - t >= REPEAT_GAP for i, t in history)]
        prompt = choose(
            bank=bank, history=history, goal_themes=themes, stage=stage, now=now, seed=seed
        )
        assert prompt in fresh, (week, prompt.id)
        # stage first, then goal themes: the chosen prompt is in the best tier on offer
        in_stage = [p for p in fresh if stage in p.stages]
        assert stage in prompt.stages, (week, stage, prompt.id)
        if any(themes & set(p.themes) for p in in_stage):
            assert themes & set(prompt.themes), (week, prompt.id)
            in_stage = [p for p in in_stage if themes & set(p.themes)]
        # then rotation: the last prompt's approach only when the tier offers nothing else
        if out and any(p.approach != out[-1][0].approach for p in in_stage):
            assert prompt.approach != out[-1][0].approach, (week, prompt.id)
        history.append((prompt.id, now))
        out.append((prompt, stage))
    return out


MIXES = [
    frozenset(),
    frozenset({"delegation"}),
    frozenset({"conflict", "stakeholders"}),
    frozenset({"wellbeing", "priorities", "career"}),
]


@pytest.mark.parametrize("seed", [1, 7, 4242, 918273645])
@pytest.mark.parametrize("themes", MIXES, ids=lambda t: "+".join(sorted(t)) or "none")
@pytest.mark.parametrize("ends_on", [date(2026, 11, 27), None], ids=["dated", "undated"])
def test_a_year_of_weekly_choices(seed: int, themes: frozenset[str], ends_on: date | None) -> None:
    year = _simulate(seed, themes, ends_on)
    sent: dict[str, int] = {}
    for week, (prompt, _) in enumerate(year):  # never within 8 weeks
        assert week - sent.get(prompt.id, -99) >= 8, (prompt.id, sent[prompt.id], week)
        sent[prompt.id] = week
    stages = [stage for _, stage in year]
    assert set(stages) == set(STAGES)
    assert stages[:6].count("early") >= 4 and stages[-1] in ("late", "after-session")
    approaches = [p.approach for p, _ in year]
    assert Counter(approaches).keys() == set(APPROACHES)
    assert min(Counter(approaches).values()) >= 6, Counter(approaches)
    if not themes:  # nothing outranks rotation: never the same approach twice running
        assert all(a != b for a, b in pairwise(approaches)), approaches
    if themes:  # goal themes come up far more often than for a leader without goals
        baseline = _simulate(seed, frozenset(), ends_on)
        matching = sum(bool(themes & set(p.themes)) for p, _ in year)
        assert matching >= max(20, 2 * sum(bool(themes & set(p.themes)) for p, _ in baseline))
    assert year == _simulate(seed, themes, ends_on)  # deterministic


def test_seeds_and_history_order() -> None:
    years = {seed: [p.id for p, _ in _simulate(seed, frozenset(), None)] for seed in range(6)}
    assert len({tuple(y) for y in years.values()}) == 6  # leaders get different sequences
    history = [(p.id, START - timedelta(weeks=i + 1)) for i, p in enumerate(load_bank()[:20])]
    pick = partial(choose, bank=load_bank(), goal_themes={"team"}, stage="middle", now=START)
    first = pick(history=history, seed=3)
    shuffled = history[:]
    random.Random(5).shuffle(shuffled)
    assert pick(history=shuffled, seed=3) == first
