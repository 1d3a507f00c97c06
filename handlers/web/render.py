"""Message -> an HTML fragment for the playground; every person-supplied string is escaped."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from html import escape

from bot.timefmt import show, utc
from bot.ui import Attachment, Button, Choices, Fact, Form, FormField, Message, segments
from prompts import Copy

_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_INPUT_TYPES = {"text": "text", "number": "number", "date": "date", "time": "time"}


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _formatted(text: str) -> str:
    out = _BOLD.sub(r"<strong>\1</strong>", escape(text, quote=True))
    return _CODE.sub(r"<code>\1</code>", out)


def inline(text: str) -> str:
    """Escape `text`, then render *bold* as <strong> and `code` as <code>, except in literals.

    Spans marked with bot.ui.literal (a person's own words) are escaped and nothing more.
    """
    return "".join(
        escape(part, quote=True) if is_literal else _formatted(part)
        for part, is_literal in segments(text)
    )


def paragraphs(text: str) -> str:
    """Blank-line separated paragraphs as <p>, single line breaks as <br>."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = [inline(line) for line in block.strip("\n").splitlines()]
        if any(line.strip() for line in lines):
            out.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(out)


def _facts(facts: tuple[Fact, ...]) -> str:
    rows = "".join(f"<dt>{inline(f.label)}</dt><dd>{inline(f.value)}</dd>" for f in facts)
    return f'<dl class="cc-facts">{rows}</dl>'


def _button(button: Button) -> str:
    return (
        f'<button type="button" class="cc-btn cc-btn-{_attr(button.style)}"'
        f' data-action-id="{_attr(button.action_id)}" data-value="{_attr(button.value)}">'
        f"{escape(button.label)}</button>"
    )


def _choices(choices: Choices, dom_id: str, copy: Copy) -> str:
    select_id = f"{dom_id}-choice"
    options = "".join(
        f'<option value="{_attr(o.value)}">{escape(o.label)}</option>' for o in choices.options
    )
    return (
        f'<form class="cc-choices" data-choice-action-id="{_attr(choices.action_id)}">'
        f'<label class="cc-sr-only" for="{_attr(select_id)}">{escape(choices.placeholder)}</label>'
        f'<select id="{_attr(select_id)}" name="value" required>'
        f'<option value="" disabled selected>{escape(choices.placeholder)}</option>{options}'
        f"</select>"
        f'<button type="submit" class="cc-btn cc-btn-primary">{escape(copy("playground.choose"))}'
        f"</button></form>"
    )


def _common(field: FormField) -> str:
    attrs = " required" if field.required else ""
    if field.placeholder and field.kind != "select":
        attrs += f' placeholder="{_attr(field.placeholder)}"'
    return attrs


def _control(field: FormField, control_id: str) -> str:
    name = f'id="{_attr(control_id)}" name="{_attr(field.name)}"'
    common = _common(field)
    if field.kind == "multiline":
        return (
            f'<textarea {name} rows="4" maxlength="{field.max_length}"{common}>'
            f"{escape(field.initial)}</textarea>"
        )
    if field.kind == "select":
        blank = "" if field.initial else "selected "
        placeholder = escape(field.placeholder or "")
        options = [f'<option value="" {blank}disabled>{placeholder}</option>']
        for o in field.options:
            chosen = " selected" if o.value == field.initial else ""
            options.append(f'<option value="{_attr(o.value)}"{chosen}>{escape(o.label)}</option>')
        return f"<select {name}{common}>{''.join(options)}</select>"
    kind = _INPUT_TYPES[field.kind]
    limit = f' maxlength="{field.max_length}"' if kind == "text" else ""
    value = f' value="{_attr(field.initial)}"' if field.initial else ""
    return f'<input type="{kind}" {name}{limit}{value}{common}>'


def _form(form: Form, dom_id: str) -> str:
    fields = []
    for field in form.fields:
        control_id = f"{dom_id}-{field.name}"
        fields.append(
            f'<div class="cc-field"><label for="{_attr(control_id)}">{escape(field.label)}'
            f"</label>{_control(field, control_id)}</div>"
        )
    context = (
        f'<input type="hidden" name="context" value="{_attr(form.context)}">'
        if form.context
        else ""
    )
    return (
        f'<form class="cc-form" data-form-id="{_attr(form.form_id)}">'
        f"<h4>{escape(form.title)}</h4>{''.join(fields)}{context}"
        f'<button type="submit" class="cc-btn cc-btn-primary">{escape(form.submit_label)}</button>'
        f"</form>"
    )


def _attachment(attachment: Attachment, copy: Copy) -> str:
    data = base64.b64encode(attachment.content.encode("utf-8")).decode("ascii")
    media = attachment.media_type.split(";")[0].strip()
    return (
        f'<a class="cc-file" download="{_attr(attachment.filename)}"'
        f' href="data:{_attr(media)};base64,{data}">'
        f"{escape(copy('playground.download', filename=attachment.filename))}</a>"
    )


def render_message(
    message: Message, *, sent_at: datetime, zone: str, dom_id: str, copy: Copy
) -> str:
    """One message as an <article>: text, facts, buttons, choices, form, files, footer, time."""
    parts = [f'<article class="cc-msg" id="{_attr(dom_id)}">']
    if message.title:
        parts.append(f"<h3>{escape(message.title)}</h3>")
    parts.append(f'<div class="cc-text">{paragraphs(message.text)}</div>')
    if message.facts:
        parts.append(_facts(message.facts))
    if message.buttons:
        parts.append(f'<div class="cc-buttons">{"".join(map(_button, message.buttons))}</div>')
    if message.choices is not None:
        parts.append(_choices(message.choices, dom_id, copy))
    if message.form is not None:
        parts.append(_form(message.form, dom_id))
    if message.attachments:
        links = "".join(_attachment(a, copy) for a in message.attachments)
        parts.append(f'<div class="cc-files">{links}</div>')
    if message.footer:
        parts.append(f'<p class="cc-footer">{inline(message.footer)}</p>')
    when = utc(sent_at)
    parts.append(
        f'<time class="cc-time" datetime="{_attr(when.isoformat())}">'
        f"{escape(show(when, zone))}</time></article>"
    )
    return "".join(parts)
