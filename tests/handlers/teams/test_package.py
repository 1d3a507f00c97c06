"""`python app.py teams-package`: the zip holds a valid v1.17 manifest, filled, and true icons."""

from __future__ import annotations

import json
import re
import shutil
import struct
import tomllib
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

import app
import bot.flows  # noqa: F401  (registers the commands)
from bot.routes import ROUTES
from handlers.teams.package import (
    PackageError,
    _predict,
    build_package,
    decode_png,
    manifest_problems,
)

ROOT = Path(__file__).resolve().parents[3]
TEAMS = ROOT / "teams"
APP_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
REQUIRED = ("manifestVersion", "version", "id", "developer", "name", "description", "icons")
DEVELOPER = ("name", "websiteUrl", "privacyUrl", "termsOfUseUrl")


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the CLI in a fresh directory with no Slack or Teams settings."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def png(width: int, height: int, pixels: list[tuple[int, int, int, int]]) -> bytes:
    """An RGBA PNG, each row with a different filter (0 to 4) to exercise the decoder."""
    stride, raw, prior = width * 4, bytearray(), bytes(width * 4)
    for y in range(height):
        line = bytes(v for p in pixels[y * width : (y + 1) * width] for v in p)
        kind = y % 5
        raw.append(kind)
        for i in range(stride):
            left, corner = (line[i - 4], prior[i - 4]) if i >= 4 else (0, 0)
            raw.append((line[i] - _predict(kind, left, prior[i], corner, "test")) & 0xFF)
        prior = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def size(data: bytes) -> tuple[int, int]:
    """A PNG's (width, height), read from its header here rather than by the code under test."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def source_copy(tmp_path: Path) -> Path:
    """A copy of teams/ to spoil."""
    return Path(shutil.copytree(TEAMS, tmp_path / "teams"))


def commands(manifest: dict[str, Any]) -> list[str]:
    """The command words of the manifest's one bot and one command list."""
    (bot_,) = manifest["bots"]
    (command_list,) = bot_["commandLists"]
    return [c["title"] for c in command_list["commands"]]


def test_the_package_holds_the_filled_manifest_and_icons_at_its_root(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    assert app.main(["teams-package"]) == 0
    out = data / "coach-companion-teams.zip"
    assert f"wrote {out}" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["manifest.json", "color.png", "outline.png"]
        text = archive.read("manifest.json").decode("utf-8")
        icons = {name: archive.read(name) for name in ("color.png", "outline.png")}
    assert "{{" not in text
    manifest = json.loads(text)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["version"] == VERSION
    assert size(icons["color.png"]) == (192, 192) and size(icons["outline.png"]) == (32, 32)
    assert icons == {name: (TEAMS / name).read_bytes() for name in icons}
    assert not (data / "coach.db").exists()  # packaging needs no database


def test_out_chooses_the_path_and_the_same_inputs_give_the_same_bytes(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    first, second = tmp_path / "a" / "teams.zip", tmp_path / "b" / "teams.zip"
    assert app.main(["teams-package", "--out", str(first)]) == 0
    assert app.main(["teams-package", "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "error: TEAMS_APP_ID is not set"),
        ("   ", "error: TEAMS_APP_ID is not set"),
        ("coach-companion", "error: TEAMS_APP_ID 'coach-companion' is not a GUID"),
        (APP_ID[:-1], "is not a GUID"),
        ("{" + APP_ID + "}", "is not a GUID"),
    ],
)
def test_a_missing_or_malformed_app_id_is_named_and_nothing_is_written(
    data: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str | None,
    expected: str,
) -> None:
    if value is not None:
        monkeypatch.setenv("TEAMS_APP_ID", value)
    assert app.main(["teams-package"]) == 2
    assert expected in capsys.readouterr().err
    assert not data.exists()


def test_help_lists_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        app.main(["--help"])
    assert "teams-package" in capsys.readouterr().out


def test_the_command_words_are_slacks_and_the_core_knows_them() -> None:
    manifest = json.loads((TEAMS / "manifest.json").read_text(encoding="utf-8"))
    words = commands(manifest)
    assert words and all(w in ROUTES.commands for w in words)
    slack = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    (slash,) = slack["features"]["slash_commands"]
    slack_words = [w.strip() for w in slash["usage_hint"].split("|")]
    assert set(words) <= set(slack_words) and len(words) <= 10  # Teams: 10 per list at most
    assert words[-2:] == ["privacy", "help"]


def test_the_filled_manifest_has_what_the_v1_17_schema_requires(tmp_path: Path) -> None:
    m = build_package(APP_ID, tmp_path / "p.zip").manifest
    assert m["$schema"].endswith("/teams/v1.17/MicrosoftTeams.schema.json")
    assert m["manifestVersion"] == "1.17"
    assert all(m[key] for key in (*REQUIRED, "accentColor"))
    assert all(m["developer"][key] for key in DEVELOPER)
    assert m["developer"]["name"] == "Coach Companion contributors"
    assert all(m["developer"][k].startswith("https://example.com/") for k in DEVELOPER[1:])
    assert 0 < len(m["name"]["short"]) <= 30 and len(m["name"]["full"]) <= 100
    assert 0 < len(m["description"]["short"]) <= 80 and len(m["description"]["full"]) <= 4000
    assert m["icons"] == {"color": "color.png", "outline": "outline.png"}
    (bot_,) = m["bots"]
    assert bot_["scopes"] == ["personal"] and bot_["commandLists"][0]["scopes"] == ["personal"]
    assert bot_["supportsFiles"] is False and bot_["isNotificationOnly"] is False
    for command in bot_["commandLists"][0]["commands"]:
        assert 0 < len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128
    assert m["validDomains"] == [] and "staticTabs" not in m
    full = m["description"]["full"]
    assert "never coaches" in full and "private unless" in full and "HR sees aggregate" in full
    assert manifest_problems(m) == []


def test_the_icons_are_the_right_size_and_the_outline_is_white_on_transparent() -> None:
    colour = (TEAMS / "color.png").read_bytes()
    outline = decode_png((TEAMS / "outline.png").read_bytes(), "outline.png")
    assert size(colour) == (192, 192) and (outline.width, outline.height) == (32, 32)
    assert all(p[3] == 0 or p[:3] == (255, 255, 255) for p in outline.pixels)
    assert {p[3] for p in outline.pixels} >= {0, 255}
    pixels = decode_png(colour, "color.png").pixels
    assert len({p[:3] for p in pixels if p[3] == 255}) > 1  # full colour, not an outline


def test_the_decoder_undoes_every_png_filter() -> None:
    pixels = [
        (x * 7 % 256, y * 13 % 256, (x * y) % 256, (x + y) * 5 % 256)
        for y in range(9)
        for x in range(6)
    ]
    image = decode_png(png(6, 9, pixels), "test.png")
    assert (image.width, image.height) == (6, 9) and list(image.pixels) == pixels


@pytest.mark.parametrize(
    ("name", "icon", "expected"),
    [
        ("color.png", png(96, 96, [(1, 2, 3, 255)] * 96 * 96), "color.png is 96x96"),
        ("outline.png", png(20, 20, [(0, 0, 0, 0)] * 400), "outline.png is 20x20"),
        (
            "outline.png",
            png(32, 32, [(255, 0, 0, 255)] * 16 + [(0, 0, 0, 0)] * 1008),
            "outline.png must be white on a transparent background (it has other colours)",
        ),
        ("outline.png", png(32, 32, [(255, 255, 255, 255)] * 1024), "transparent background"),
        ("outline.png", b"GIF89a not a png", "outline.png is not a PNG file"),
    ],
)
def test_wrong_icons_are_refused(tmp_path: Path, name: str, icon: bytes, expected: str) -> None:
    source = source_copy(tmp_path)
    (source / name).write_bytes(icon)
    out = tmp_path / "p.zip"
    with pytest.raises(PackageError, match=re.escape(expected)):
        build_package(APP_ID, out, source=source)
    assert not out.exists()


def test_a_broken_manifest_is_refused_with_its_problems(tmp_path: Path) -> None:
    source = source_copy(tmp_path)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    manifest["name"]["short"] = "Coach Companion for every leader"
    manifest["bots"][0]["commandLists"][0]["commands"][0]["title"] = ""
    del manifest["accentColor"]
    (source / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(PackageError, match="missing accentColor"):
        build_package(APP_ID, tmp_path / "p.zip", source=source)
    manifest["accentColor"] = "#2C3E50"
    (source / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(PackageError) as error:
        build_package(APP_ID, tmp_path / "p.zip", source=source)
    assert "name.short is 32 characters (at most 30)" in str(error.value)
    assert "command ''" in str(error.value)


def test_an_unknown_placeholder_or_a_bad_version_is_refused(tmp_path: Path) -> None:
    source = source_copy(tmp_path)
    text = (source / "manifest.json").read_text(encoding="utf-8")
    with pytest.raises(PackageError, match=r"not MAJOR\.MINOR\.PATCH"):
        build_package(APP_ID, tmp_path / "p.zip", source=source, version="1.0")
    (source / "manifest.json").write_text(text.replace("{{VERSION}}", "{{RELEASE}}"))
    with pytest.raises(PackageError, match="unknown placeholder"):
        build_package(APP_ID, tmp_path / "p.zip", source=source)
