"""Neutral text -> the markdown subset of Teams Adaptive Card TextBlocks, split into pieces.

How a person's words are kept literal: Teams reads TextBlock (and FactSet) text as markdown
(bold, italic, lists, links). Every character that markdown could read as syntax is escaped
with a backslash (CommonMark escapes, honoured by Teams desktop, web and mobile): \\ * _ ~ `
[ ] < > # & everywhere, plus what would start a block at the start of a TextBlock (a leading
"-", "+" or "=", a "1." or "1)" list marker, leading spaces). The only markup we emit ourselves
is **bold**: neutral *bold* becomes **bold**; neutral `code` (cards have no code spans) is
shown in bold too. Literal spans (bot.ui.literal) are escaped and never formatted.
"""

from __future__ import annotations

import re

from bot.ui import LITERAL_CLOSE, LITERAL_OPEN, segments

ELLIPSIS = "…"
PIECE_LIMIT = 2000  # neutral characters per TextBlock piece (a long line is cut at spaces)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_MASK = re.compile(f"{LITERAL_OPEN}(\\d+){LITERAL_CLOSE}")
_SPECIAL = re.compile(r"([\\*_~`\[\]<>#&])")
_BLOCK_START = re.compile(r"^(?:([-+=])|(\d+)([.)]))")
_NBSP = "\u00a0"

Run = tuple[str, bool]  # (text, bold)


def escape(text: str) -> str:
    """`text` with every inline markdown character backslash-escaped (shown exactly)."""
    return _SPECIAL.sub(r"\\\1", text)


def runs(text: str) -> list[Run]:
    """Neutral text as (text, bold) runs: *bold* and `code` read, literal spans never formatted."""
    literals: list[str] = []
    masked = []
    for part, is_literal in segments(text):
        if is_literal:
            masked.append(f"{LITERAL_OPEN}{len(literals)}{LITERAL_CLOSE}")
            literals.append(part)
        else:
            masked.append(part)
    out: list[Run] = []
    for part, bold in _split(_BOLD, "".join(masked), False):
        for inner, code in _split(_CODE, part, bold):
            shown = _MASK.sub(lambda found: literals[int(found[1])], inner)
            _append(out, shown, bold or code)
    return out


def plain_text(text: str) -> str:
    """Neutral text without literal, *bold* or `code` marks (for fallbacks and previews)."""
    return "".join(part for part, _ in runs(text))


def markdown(line: list[Run]) -> str:
    """One line of runs as TextBlock markdown: escaped, **bold**, no block syntax at the start."""
    out = []
    for text, bold in line:
        shown = escape(text)
        core = shown.strip()
        if bold and core:
            lead, trail = shown[: len(shown) - len(shown.lstrip())], shown[len(shown.rstrip()) :]
            shown = f"{lead}**{core}**{trail}"
        out.append(shown)
    rendered = "".join(out).rstrip()
    body = rendered.lstrip()
    return _NBSP * (len(rendered) - len(body)) + _BLOCK_START.sub(_escape_start, body, count=1)


def pieces(text: str, limit: int = PIECE_LIMIT) -> list[tuple[str, bool]]:
    """Neutral text as (markdown, starts_paragraph) pieces, one TextBlock each, nothing dropped.

    Each line becomes its own piece (TextBlock markdown needs a blank line to break a line);
    a line over `limit` characters is cut at a space (hard when there is none).
    """
    out: list[tuple[str, bool]] = []
    paragraph = True
    for line in _lines(runs(text)):
        if not "".join(part for part, _ in line).strip():
            paragraph = True
            continue
        for number, chunk in enumerate(_wrap(line, limit)):
            out.append((markdown(chunk), paragraph and number == 0))
        paragraph = False
    return out


def cut(text: str, limit: int) -> str:
    """`text`, shortened to `limit` characters with a trailing "…" when longer."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def _escape_start(found: re.Match[str]) -> str:
    if found[1]:
        return "\\" + found[1]
    return found[2] + "\\" + found[3]


def _split(pattern: re.Pattern[str], text: str, flag: bool) -> list[Run]:
    out: list[Run] = []
    at = 0
    for found in pattern.finditer(text):
        out += [(text[at : found.start()], flag), (found[1], True)]
        at = found.end()
    return [*out, (text[at:], flag)]


def _append(out: list[Run], text: str, bold: bool) -> None:
    if not text:
        return
    if out and out[-1][1] == bold:
        out[-1] = (out[-1][0] + text, bold)
    else:
        out.append((text, bold))


def _lines(all_runs: list[Run]) -> list[list[Run]]:
    lines: list[list[Run]] = [[]]
    for text, bold in all_runs:
        first, *rest = text.split("\n")
        _append(lines[-1], first, bold)
        for part in rest:
            lines.append([])
            _append(lines[-1], part, bold)
    return lines


def _wrap(line: list[Run], limit: int) -> list[list[Run]]:
    """Runs cut into chunks of <= `limit` characters, preferring the last space of a chunk."""
    flat = [(char, bold) for text, bold in line for char in text]
    out: list[list[Run]] = []
    while flat:
        at = len(flat) if len(flat) <= limit else _break(flat, limit)
        chunk: list[Run] = []
        for char, bold in flat[:at]:
            _append(chunk, char, bold)
        out.append(chunk)
        flat = flat[at:]
    return out


def _break(flat: list[tuple[str, bool]], limit: int) -> int:
    spaces = [i for i in range(limit // 2, limit) if flat[i][0] == " "]
    return spaces[-1] + 1 if spaces else limit
