"""`python app.py teams-package`: the zip Teams admins upload (manifest.json and two icons)."""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile
import tomllib
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "teams"
PYPROJECT = ROOT / "pyproject.toml"
ZIP_NAME = "coach-companion-teams.zip"
MANIFEST = "manifest.json"
MANIFEST_VERSION = "1.17"
ICON_SIZES = {"color": 192, "outline": 32}
GUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
SEMVER = re.compile(r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
EXAMPLE_URL = "https://example.com/"
# What the v1.17 schema requires (no network here: checked by hand, with its length limits).
REQUIRED = (
    "manifestVersion",
    "version",
    "id",
    "developer",
    "name",
    "description",
    "icons",
    "accentColor",
)
LIMITS = {
    ("name", "short"): 30,
    ("name", "full"): 100,
    ("description", "short"): 80,
    ("description", "full"): 4000,
    ("developer", "name"): 32,
    ("developer", "websiteUrl"): 2048,
    ("developer", "privacyUrl"): 2048,
    ("developer", "termsOfUseUrl"): 2048,
}
MAX_COMMANDS, MAX_TITLE, MAX_COMMAND_TEXT = 10, 32, 128
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same bytes


class PackageError(Exception):
    """Why the Teams app package could not be built, in words for the operator."""


@dataclass(frozen=True)
class Package:
    """A written package: where it is, the filled manifest, and things worth telling."""

    path: Path
    manifest: dict[str, Any]
    notes: tuple[str, ...]


def check_app_id(value: str | None) -> str:
    """TEAMS_APP_ID, stripped, if it is set and looks like a GUID."""
    text = (value or "").strip()
    if not text:
        raise PackageError(
            "TEAMS_APP_ID is not set: set it to the Microsoft App ID of your Azure Bot "
            "(a GUID like 00000000-0000-0000-0000-000000000000)"
        )
    if not GUID.fullmatch(text):
        raise PackageError(
            f"TEAMS_APP_ID {text!r} is not a GUID: copy the Microsoft App ID from the Azure "
            "Bot's Configuration page (like 00000000-0000-0000-0000-000000000000)"
        )
    return text


def project_version() -> str:
    """The project's version (pyproject.toml, else the installed metadata), as Teams wants it."""
    if PYPROJECT.is_file():
        version = str(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"])
    else:
        version = metadata.version("coach-companion")
    if not SEMVER.fullmatch(version):
        raise PackageError(f"version {version!r} is not MAJOR.MINOR.PATCH, which Teams requires")
    return version


def fill(value: Any, values: dict[str, str]) -> Any:
    """`value` with every {{NAME}} in its strings replaced; an unknown name is an error."""
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, str):
        for name in PLACEHOLDER.findall(value):
            if name not in values:
                raise PackageError(f"{MANIFEST}: unknown placeholder {{{{{name}}}}}")
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], value)
    return value


def manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """What keeps `manifest` from being a valid v1.17 personal bot manifest (empty if none)."""
    problems = [f"missing {key}" for key in REQUIRED if key not in manifest]
    if problems:
        return problems
    if manifest["manifestVersion"] != MANIFEST_VERSION:
        problems.append(f"manifestVersion must be {MANIFEST_VERSION!r}")
    if not GUID.fullmatch(str(manifest["id"])):
        problems.append("id is not a GUID")
    if not SEMVER.fullmatch(str(manifest["version"])):
        problems.append("version is not MAJOR.MINOR.PATCH")
    if not COLOUR.fullmatch(str(manifest["accentColor"])):
        problems.append("accentColor is not #RRGGBB")
    problems += _text_problems(manifest)
    problems += [f"icons.{kind} missing" for kind in ICON_SIZES if kind not in manifest["icons"]]
    for index, bot in enumerate(manifest.get("bots", [])):
        problems += _bot_problems(f"bots[{index}]", bot)
    return problems


def _text_problems(manifest: dict[str, Any]) -> Iterator[str]:
    for (section, key), limit in LIMITS.items():
        text = manifest[section].get(key)
        if not isinstance(text, str) or not text.strip():
            yield f"{section}.{key} missing"
        elif len(text) > limit:
            yield f"{section}.{key} is {len(text)} characters (at most {limit})"
        elif key.endswith("Url") and not text.startswith("https://"):
            yield f"{section}.{key} must be an https:// URL"


def _bot_problems(where: str, bot: dict[str, Any]) -> Iterator[str]:
    if not bot.get("botId"):
        yield f"{where}.botId missing"
    if not bot.get("scopes"):
        yield f"{where}.scopes missing"
    for lst in bot.get("commandLists", []):
        commands = lst.get("commands", [])
        if not lst.get("scopes") or len(commands) > MAX_COMMANDS:
            yield f"{where}.commandLists: scopes and at most {MAX_COMMANDS} commands each"
        for command in commands:
            title, text = command.get("title", ""), command.get("description", "")
            if not 0 < len(title) <= MAX_TITLE or not 0 < len(text) <= MAX_COMMAND_TEXT:
                yield f"{where} command {title!r}: title 1-32, description 1-128 characters"


@dataclass(frozen=True)
class Image:
    """A decoded 8-bit PNG: its size and its pixels as (r, g, b, a)."""

    width: int
    height: int
    pixels: tuple[tuple[int, int, int, int], ...]


def png_size(data: bytes, name: str) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise PackageError(f"{name} is not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _chunks(data: bytes, name: str) -> Iterator[tuple[bytes, bytes]]:
    at = len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if len(body) != length:
            raise PackageError(f"{name} is a truncated PNG file")
        yield kind, body
        at += 12 + length


def decode_png(data: bytes, name: str) -> Image:
    """Decode a non-interlaced 8-bit PNG (grey, RGB, palette, with or without alpha)."""
    width, height = png_size(data, name)
    chunks = list(_chunks(data, name))
    depth, colour_type, interlace = data[24], data[25], data[28]
    if depth != 8 or colour_type not in CHANNELS or interlace != 0:
        raise PackageError(f"{name}: save it as a non-interlaced 8-bit PNG (RGBA is best)")
    found = {kind: body for kind, body in chunks if kind in (b"PLTE", b"tRNS")}
    try:
        raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    except zlib.error:
        raise PackageError(f"{name} has corrupt image data") from None
    samples = _unfilter(raw, width, height, CHANNELS[colour_type], name)
    pixels = _to_rgba(samples, colour_type, found.get(b"PLTE", b""), found.get(b"tRNS", b""))
    return Image(width, height, tuple(pixels))


def _unfilter(raw: bytes, width: int, height: int, bpp: int, name: str) -> bytes:
    stride = width * bpp
    if len(raw) < height * (stride + 1):
        raise PackageError(f"{name} has too little image data")
    out, prior = bytearray(), bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prior[i], prior[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + _predict(kind, left, up, corner, name)) & 0xFF
        out += line
        prior = line
    return bytes(out)


def _predict(kind: int, left: int, up: int, corner: int, name: str) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    if kind == 4:
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        return left if pa <= pb and pa <= pc else up if pb <= pc else corner
    raise PackageError(f"{name} uses an unknown PNG filter")


def _to_rgba(
    samples: bytes, colour_type: int, palette: bytes, alphas: bytes
) -> Iterator[tuple[int, int, int, int]]:
    if colour_type == 6:
        for i in range(0, len(samples), 4):
            yield samples[i], samples[i + 1], samples[i + 2], samples[i + 3]
    elif colour_type == 4:
        for i in range(0, len(samples), 2):
            yield samples[i], samples[i], samples[i], samples[i + 1]
    elif colour_type == 3:
        for index in samples:
            rgb = palette[index * 3 : index * 3 + 3].ljust(3, b"\0")
            yield rgb[0], rgb[1], rgb[2], alphas[index] if index < len(alphas) else 255
    elif colour_type == 2:
        for i in range(0, len(samples), 3):
            yield samples[i], samples[i + 1], samples[i + 2], 255
    else:
        for grey in samples:
            yield grey, grey, grey, 255


def outline_problem(image: Image) -> str | None:
    """Why an outline icon is not white on transparent, or None when it is."""
    visible = [p for p in image.pixels if p[3] > 0]
    if any(p[:3] != (255, 255, 255) for p in visible):
        return "must be white on a transparent background (it has other colours)"
    if not visible or len(visible) == len(image.pixels):
        return "must be white on a transparent background"
    return None


def read_icons(source: Path, manifest: dict[str, Any]) -> dict[str, bytes]:
    """The two icons named in the manifest, checked: sizes, and the outline's colours."""
    icons: dict[str, bytes] = {}
    for kind, size in ICON_SIZES.items():
        name = str(manifest["icons"][kind])
        path = source / name
        if "/" in name or not path.is_file():
            raise PackageError(f"icons.{kind}: {path} not found (it must sit next to {MANIFEST})")
        data = path.read_bytes()
        width, height = png_size(data, name)
        if (width, height) != (size, size):
            raise PackageError(f"{name} is {width}x{height}: Teams wants {size}x{size} pixels")
        if kind == "outline" and (problem := outline_problem(decode_png(data, name))):
            raise PackageError(f"{name} {problem}")
        icons[name] = data
    return icons


def write_zip(out: Path, files: dict[str, bytes]) -> None:
    """Write `files` at the zip's root, atomically, with fixed timestamps."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        os.chmod(temp, 0o644)
        os.replace(temp, out)
    except OSError as exc:
        raise PackageError(f"cannot write {out}: {exc.strerror or exc}") from None


def build_package(
    app_id: str | None, out: Path, *, source: Path = SOURCE, version: str | None = None
) -> Package:
    """Fill teams/manifest.json, check it and the icons, and write the zip to `out`."""
    values = {"TEAMS_APP_ID": check_app_id(app_id), "VERSION": version or project_version()}
    try:
        template = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackageError(f"cannot read {source / MANIFEST}: {exc}") from None
    manifest: dict[str, Any] = fill(template, values)
    problems = manifest_problems(manifest)
    if problems:
        raise PackageError(f"{source / MANIFEST}: " + "; ".join(problems))
    icons = read_icons(source, manifest)
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    write_zip(out, {MANIFEST: text.encode("utf-8"), **icons})
    notes: tuple[str, ...] = ()
    if any(str(url).startswith(EXAMPLE_URL) for url in manifest["developer"].values()):
        notes = (
            f"the developer URLs in {source / MANIFEST} still point at {EXAMPLE_URL}: "
            "replace them with your organisation's pages before you publish the app",
        )
    return Package(out, manifest, notes)
