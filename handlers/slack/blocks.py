"""Message -> Slack Block Kit message payloads (split when over Slack's limits) + fallback text."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.ui import Attachment, Button, Choices, Fact, Message, plain
from handlers.slack.mrkdwn import chunks, cut, escape, has_literal, literal_mrkdwn, mrkdwn
from handlers.slack.mrkdwn import plain_text as strip_marks
from prompts import Copy, copy_for

Json = dict[str, Any]

MESSAGE_BLOCKS = 50
TEXT_LIMIT = 3000  # a mrkdwn text object (section text, context element)
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
ELEMENTS_PER_ACTIONS = 25
ELEMENTS_PER_CONTEXT = 10
OPTIONS_PER_SELECT = 100
LABEL_LIMIT = 75  # button text, option text
PLACEHOLDER_LIMIT = 150
BUTTON_VALUE_LIMIT = 2000
OPTION_VALUE_LIMIT = 150
FALLBACK_LIMIT = 300
OPEN_FORM = "slack.open_form"


def message_payloads(
    message: Message, *, outbox_id: int | None = None, copy: Copy | None = None
) -> list[Json]:
    """`message` as chat.postMessage payloads ({"text", "blocks"}), in order, <= 50 blocks each.

    A message with a form gets an "Open form" button (value = str(outbox_id)) when `outbox_id`
    is given; without one the form cannot be opened later, so no button is shown. `copy`
    (the person's locale, English by default) words that button. `replaces` is the sender's.
    """
    blocks = message_blocks(message, copy=copy or copy_for(None), outbox_id=outbox_id)
    text = fallback_text(message)
    pages = [blocks[at : at + MESSAGE_BLOCKS] for at in range(0, len(blocks), MESSAGE_BLOCKS)]
    return [{"text": text, "blocks": page} for page in pages or [[]]]


def message_blocks(message: Message, *, copy: Copy, outbox_id: int | None = None) -> list[Json]:
    """All blocks of `message`, unsplit (an "Open form" button only when `outbox_id` is given)."""
    index = count()
    out = title_blocks(message.title) + text_blocks(message.text) + _facts(message.facts)
    out += _buttons(message.buttons, index)
    if message.choices is not None:
        out += _choices(message.choices, index)
    if message.form is not None and outbox_id is not None:
        out.append(_open_form(copy, outbox_id))
    out += _attachments(message.attachments)
    footer = [mrkdwn(message.footer)] if message.footer.strip() else []
    out += context_blocks(footer, verbatim=has_literal(message.footer))
    return out


def fallback_text(message: Message) -> str:
    """Short plain text for notifications: title and text without marks, & < > escaped."""
    parts = [message.title, message.text]
    if not "".join(parts).strip():  # no words of its own: say what it holds
        parts = [f"{f.label}: {f.value}" for f in message.facts] + [message.footer]
        parts += [b.label for b in message.buttons]
    shown = "\n".join(strip_marks(p) for p in parts if p.strip()).strip()
    return escape(cut(shown, FALLBACK_LIMIT))


def title_blocks(title: str) -> list[Json]:
    """A header block; a title over 150 chars becomes a bold section instead (nothing is lost)."""
    if not title.strip():
        return []
    shown = plain(title)
    if len(shown) <= HEADER_LIMIT and "\n" not in shown:
        return [_dict(HeaderBlock(text=PlainTextObject(text=shown)))]
    return text_blocks(f"*{title}*")


def text_blocks(text: str) -> list[Json]:
    """Neutral text as mrkdwn sections of <= 3,000 chars (split at paragraphs, lines, then hard)."""
    verbatim = True if has_literal(text) else None
    return [
        _dict(SectionBlock(text=MarkdownTextObject(text=piece, verbatim=verbatim)))
        for piece in chunks(mrkdwn(text), TEXT_LIMIT)
    ]


def context_blocks(rendered: list[str], *, verbatim: bool = False) -> list[Json]:
    """Rendered mrkdwn lines as context blocks (<= 10 elements each, <= 3,000 chars each)."""
    pieces = [piece for line in rendered for piece in chunks(line, TEXT_LIMIT)]
    elements = [MarkdownTextObject(text=p, verbatim=verbatim or None) for p in pieces]
    return [
        _dict(ContextBlock(elements=elements[at : at + ELEMENTS_PER_CONTEXT]))
        for at in range(0, len(elements), ELEMENTS_PER_CONTEXT)
    ]


def _facts(facts: tuple[Fact, ...]) -> list[Json]:
    out: list[Json] = []
    fields: list[MarkdownTextObject] = []
    for fact in facts:
        shown = f"*{mrkdwn(fact.label)}*\n{mrkdwn(fact.value)}"
        if len(shown) > FIELD_LIMIT:  # too long for a field: its own section(s), in order
            out += _fields(fields) + text_blocks(f"*{fact.label}*\n{fact.value}")
            fields = []
            continue
        verbatim = True if has_literal(fact.label + fact.value) else None
        fields.append(MarkdownTextObject(text=shown, verbatim=verbatim))
    return out + _fields(fields)


def _fields(fields: list[MarkdownTextObject]) -> list[Json]:
    return [
        _dict(SectionBlock(fields=fields[at : at + FIELDS_PER_SECTION]))
        for at in range(0, len(fields), FIELDS_PER_SECTION)
    ]


def _buttons(buttons: tuple[Button, ...], index: Iterator[int]) -> list[Json]:
    elements = [_button(b, f"{b.action_id}|{next(index)}") for b in buttons]
    return _actions(elements)


def _button(button: Button, action_id: str) -> ButtonElement:
    if len(button.value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"button {button.action_id!r}: value over {BUTTON_VALUE_LIMIT} chars")
    return ButtonElement(
        text=PlainTextObject(text=cut(plain(button.label), LABEL_LIMIT)),
        action_id=action_id,
        value=button.value or None,
        style=None if button.style == "default" else button.style,
    )


def _choices(choices: Choices, index: Iterator[int]) -> list[Json]:
    options = list(choices.options)
    groups = [
        options[at : at + OPTIONS_PER_SELECT] for at in range(0, len(options), OPTIONS_PER_SELECT)
    ]
    selects = []
    for number, group in enumerate(groups):
        placeholder = plain(choices.placeholder)
        if len(groups) > 1:  # several menus: say which options each holds
            first = number * OPTIONS_PER_SELECT + 1
            suffix = f" ({first}–{first + len(group) - 1})"
            placeholder = cut(placeholder, PLACEHOLDER_LIMIT - len(suffix)) + suffix
        selects.append(
            StaticSelectElement(
                placeholder=PlainTextObject(text=cut(placeholder, PLACEHOLDER_LIMIT)),
                action_id=f"{choices.action_id}|{next(index)}",
                options=[select_option(o.label, o.value) for o in group],
            )
        )
    return _actions(selects)


def select_option(label: str, value: str) -> Option:
    """A select menu option (text cut to 75 chars; a value over 150 chars is an error)."""
    if len(value) > OPTION_VALUE_LIMIT:
        raise ValueError(f"option {label!r}: value over {OPTION_VALUE_LIMIT} chars")
    return Option(text=PlainTextObject(text=cut(plain(label), LABEL_LIMIT)), value=value)


def _actions(elements: list[Any]) -> list[Json]:
    return [
        _dict(ActionsBlock(elements=elements[at : at + ELEMENTS_PER_ACTIONS]))
        for at in range(0, len(elements), ELEMENTS_PER_ACTIONS)
    ]


def _open_form(copy: Copy, outbox_id: int) -> Json:
    button = ButtonElement(
        text=PlainTextObject(text=cut(copy("slack.open_form"), LABEL_LIMIT)),
        action_id=OPEN_FORM,
        value=str(outbox_id),
        style="primary",
    )
    return _dict(ActionsBlock(elements=[button]))


def _attachments(attachments: tuple[Attachment, ...]) -> list[Json]:
    lines = [f":paperclip: {literal_mrkdwn(a.filename)}" for a in attachments]
    return context_blocks(lines, verbatim=True)


def _dict(block: Block) -> Json:
    """The block as Slack JSON; slack_sdk validates Block Kit limits here."""
    return block.to_dict()
