"""The safety lexicon loader: strict validation with clear errors, caching, folding."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety.lexicon import (
    SAFETY_DIR,
    LexiconError,
    base_locale,
    fold,
    lexicons,
    load_dir,
    load_file,
    ordered,
)

GOOD = """
locale = "en"
[macros]
thing = "sessions?"
[[risk]]
id = "en.self_harm.x"
category = "self_harm"
patterns = ['\\bwant to die\\b']
[[logistics]]
id = "en.sessions.x"
command = "sessions"
patterns = ['\\bcancel my {{thing}}\\b']
phrases = ["Séance annulée"]
"""


def _write(tmp_path: Path, text: str, name: str = "en.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_lexicons_load_once_english_first() -> None:
    loaded = lexicons()
    assert loaded is lexicons()
    assert loaded[0].locale == "en"
    assert {lex.locale for lex in loaded} >= {"en", "pt", "es", "fr", "de", "hi", "ja"}
    assert {p.stem for p in SAFETY_DIR.glob("*.toml")} == {lex.locale for lex in loaded}
    for lex in loaded:
        assert lex.risk and lex.logistics, lex.locale
        categories = {rule.label for rule in lex.risk}
        assert categories == {"self_harm", "harm_to_others", "crisis", "abuse"}, lex.locale


def test_a_good_file_compiles_macros_and_phrases(tmp_path: Path) -> None:
    lex = load_file(_write(tmp_path, GOOD))
    assert lex.logistics[0].search("cancel my sessions")
    assert lex.logistics[0].search(fold("la séance annulée"))
    assert not lex.logistics[0].search("cancel my sessionsx")
    assert lex.risk[0].search("i want to die")


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (('locale = "en"', 'locale = "en"\ncolour = "red"'), "colour", "unknown key"),
        (
            ('category = "self_harm"', 'category = "self_harm"\nweight = 2'),
            "risk[0].weight",
            "unknown key",
        ),
        (("\\bwant to die\\b", "(unclosed"), "risk[0].patterns[0]", "bad regex"),
        (('id = "en.sessions.x"', 'id = "en.self_harm.x"'), "en.self_harm.x", "duplicate rule id"),
        (
            ('id = "en.sessions.x"', 'id = "fr.sessions.x"'),
            "fr.sessions.x",
            "must start with 'en.'",
        ),
        (('id = "en.sessions.x"', 'id = "Bad Id"'), "logistics[0].id", "required"),
        (('category = "self_harm"', 'category = "sadness"'), "risk[0].category", "must be one of"),
        (('command = "sessions"', 'command = "dance"'), "logistics[0].command", "must be one of"),
        (("{{thing}}", "{{nothing}}"), "logistics[0].patterns[0]", "unknown macro"),
        (("\\bwant to die\\b", "x*"), "risk[0].patterns[0]", "matches the empty string"),
        (('locale = "en"', 'locale = "fr"'), "locale", "file's name"),
        (("patterns = ['\\bwant to die\\b']", "patterns = 'die'"), "risk[0].patterns", "list"),
        (("patterns = ['\\bwant to die\\b']", "note = 'x'"), "risk[0]", "at least one of"),
        (('[macros]\nthing = "sessions?"', "[macros]\nthing = 3"), "macros", "table of strings"),
    ],
)
def test_bad_files_fail_naming_file_and_key(
    tmp_path: Path, change: tuple[str, str], where: str, problem: str
) -> None:
    assert change[0] in GOOD, change[0]
    path = _write(tmp_path, GOOD.replace(change[0], change[1], 1))
    with pytest.raises(LexiconError) as caught:
        load_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {where}"), message
    assert problem in message, message


def test_invalid_toml_and_missing_english_are_clear(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="not valid TOML"):
        load_file(_write(tmp_path, "locale = ", "en.toml"))
    other = tmp_path / "only"
    other.mkdir()
    _write(other, GOOD.replace('"en', '"fr'), "fr.toml")
    with pytest.raises(LexiconError, match=r"no en\.toml"):
        load_dir(other)


def test_fold_strips_latin_accents_but_keeps_indic_and_kana_marks() -> None:
    assert fold("Séance Straße ÇA") == "seance strasse ca"
    assert fold("जीना नहीं") == "जीना नहीं"
    assert fold("ｾｯｼｮﾝ") == "セッション"
    assert fold("が") == "が"


def test_locale_order_and_base() -> None:
    assert base_locale("pt-BR") == "pt"
    assert base_locale("fr_FR") == "fr"
    assert base_locale("") == "en"
    assert [lex.locale for lex in ordered("pt-BR")][:2] == ["pt", "en"]
    assert ordered("xx")[0].locale == "en"
