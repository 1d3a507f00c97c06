"""Neutral text -> Slack mrkdwn: escaping, literal spans shown exactly, splitting under limits."""

from __future__ import annotations

import re

from bot.ui import segments

ELLIPSIS = "…"
# Slack has no escape for * _ ~ `. An invalid date token always renders its fallback text as
# plain text, never formatted (the technique jsx-slack's <Escape> relies on); see mrkdwn().
_PLAIN_CHAR = "<!date^00000000^{{_}}|{char}>"
_MARK = re.compile(r"[*_~`]")
_SOFT_HYPHEN = "\u00ad"  # before a line's first ">" so a literal can never start a block quote
_QUOTE = re.compile(r"(^|\n)&gt;")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
# What a hard split must never cut: our date tokens, entities, a soft hyphen and its "&gt;".
_ATOM = re.compile(r"<[^<>]*>|\u00ad&gt;|&(?:amp|lt|gt);|[\s\S]")
_LEVELS = ("\n\n", "\n")


def escape(text: str) -> str:
    """`text` with & < > escaped as Slack asks (so it can never form a mention or link)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def literal_mrkdwn(text: str) -> str:
    """`text` (a person's own words) as mrkdwn that Slack shows exactly, with no formatting."""
    out = _MARK.sub(lambda found: _PLAIN_CHAR.format(char=found[0]), escape(text))
    return _QUOTE.sub(lambda found: found[1] + _SOFT_HYPHEN + "&gt;", out)


def mrkdwn(text: str) -> str:
    """Neutral text (*bold*, `code`, literal spans) as Slack mrkdwn."""
    return "".join(
        literal_mrkdwn(part) if is_literal else escape(part) for part, is_literal in segments(text)
    )


def has_literal(text: str) -> bool:
    """True when `text` holds a literal span (its text object then gets verbatim: true)."""
    return any(is_literal for _, is_literal in segments(text))


def plain_text(text: str) -> str:
    """Neutral text without literal marks, *bold* or `code` marks (for notification previews)."""
    parts = []
    for part, is_literal in segments(text):
        parts.append(part if is_literal else _CODE.sub(r"\1", _BOLD.sub(r"\1", part)))
    return "".join(parts)


def cut(text: str, limit: int) -> str:
    """`text`, shortened to `limit` characters with a trailing "…" when longer."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def chunks(text: str, limit: int) -> list[str]:
    """Rendered mrkdwn cut into non-blank pieces of <= `limit` chars: paragraphs, lines, atoms."""
    return [c.strip("\n") for c in _split(text, limit, 0) if c.strip()]


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_LEVELS):
        return _hard(text, limit)
    sep, out, current = _LEVELS[level], [], ""
    for part in text.split(sep):
        candidate = f"{current}{sep}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if len(part) <= limit:
            out.append(current)
            current = part
        else:  # split finer, starting with what is pending so that nothing is left half-empty
            *full, current = _split(candidate, limit, level + 1)
            out.extend(full)
    out.append(current)
    return out


def _hard(text: str, limit: int) -> list[str]:
    out: list[str] = []
    atoms: list[str] = []
    size = 0
    for atom in _ATOM.findall(text):
        while atoms and size + len(atom) > limit:
            atoms, size = _flush(out, atoms)
        atoms.append(atom)
        size += len(atom)
    out.append("".join(atoms))
    return out


def _flush(out: list[str], atoms: list[str]) -> tuple[list[str], int]:
    """Move `atoms` to `out`, breaking after the last space in their second half if any."""
    spaces = [i for i, atom in enumerate(atoms) if atom == " " and i >= len(atoms) // 2]
    at = spaces[-1] + 1 if spaces else len(atoms)
    out.append("".join(atoms[:at]))
    rest = atoms[at:]
    return rest, sum(map(len, rest))
