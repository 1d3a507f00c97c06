"""Make model-written text safe to show a coach: no links, mentions, HTML or markup; capped."""

from __future__ import annotations

import html
import re
import unicodedata

MAX_SYNTHESIS_CHARS = 900
ELLIPSIS = "…"
INPUT_FACTOR = 4  # model text read per character kept (markup and links are removed)

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_REF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_SLACK_LABELLED_LINK = re.compile(r"<(?:https?|mailto|tel|ftp|slack)[^|>]*\|([^>]*)>", re.I)
_SLACK_SPECIAL = re.compile(r"<[@#!][^>]*>")  # <@U123>, <@U1|name>, <#C1|x>, <!channel>
_TEAMS_AT = re.compile(r"<at\b[^>]*>.*?</at\s*>", re.I | re.S)
_HTML_BLOCK = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_HTML_TAG = re.compile(r"<!--.*?-->|</?[a-z][a-z0-9:-]*(?:\s[^<>\n]*)?/?>", re.I | re.S)
_URL = re.compile(
    r"(?:\b(?:https?|ftp|mailto|tel|slack|msteams|file|data|javascript|vbscript)\s*:\S*"
    r"|\bwww\.\S+)",
    re.I,
)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")  # not \S+@\S+: cubic time on "@@@…"
_MENTION = re.compile(r"(?<![\w])[@＠][\w.\-]+")
# Labels of any script (müller.de, 例え.jp are linked as readily as example.com), and IPv4.
_DOMAIN = re.compile(
    r"(?<![^\W_])(?:[^\W_](?:[^\W_]|-)*\.)+[^\W\d_]{2,24}(?![^\W_])(?:[/:?#]\S*)?"
    r"|\b\d{1,3}(?:\.\d{1,3}){3}\b(?:[/:?#]\S*)?"
)
_ANGLE = re.compile(r"[<>\[\]]")  # also what is left of nested markdown links: [[x]](y)
_MARKUP = re.compile(r"[*_`~#|]+")
_SPACE = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def _visible(text: str) -> str:
    """NFKC-normalise and drop invisible characters (zero-width, bidi controls) that hide links."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def _flatten_markup(text: str) -> str:
    """Markdown and chat-platform links and images become their text; mentions go."""
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF.sub("", text)
    text = _SLACK_LABELLED_LINK.sub(r"\1", text)
    text = _SLACK_SPECIAL.sub("", text)
    text = _TEAMS_AT.sub("", text)
    text = _HTML_BLOCK.sub("", text)
    return _HTML_TAG.sub("", text)


def _strip_addresses(text: str) -> str:
    """Remove URLs, e-mail addresses, bare domains (auto-linked by Slack and Teams), @mentions."""
    text = _URL.sub("", text)
    text = _EMAIL.sub("", text)
    text = _MENTION.sub("", text)
    return _DOMAIN.sub("", text)


def _cap(text: str, limit: int) -> str:
    """Cut at a word boundary to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + ELLIPSIS


def clean_model_text(text: str, *, limit: int = MAX_SYNTHESIS_CHARS) -> str | None:
    """Plain text with no link, image, mention or HTML, capped; None when nothing is left.

    Only the first `limit` x INPUT_FACTOR characters are read: some patterns take time growing
    with the square of a run's length, and a server may ignore max_tokens.
    """
    text = _visible(html.unescape(_visible(text[: limit * INPUT_FACTOR])))
    for _ in range(3):  # nested or overlapping markup: repeat until stable
        before = text
        text = _strip_addresses(_flatten_markup(text))
        if text == before:
            break
    text = _MARKUP.sub("", _ANGLE.sub("", text))
    paragraphs = [_SPACE.sub(" ", p).strip() for p in _BLANK_LINES.split(text)]
    text = " ".join(p for p in paragraphs if p)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text).strip()
    if not any(ch.isalnum() for ch in text):
        return None
    return _cap(text, limit)
