"""Message -> Block Kit payloads: content, escaping, and Slack's limits on every payload."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ui import Attachment, Button, Choices, Fact, Form, FormField, Message, Option, literal
from handlers.slack.blocks import OPEN_FORM, fallback_text, message_payloads
from handlers.slack.mrkdwn import chunks, mrkdwn
from handlers.slack.payloads import action_id_of
from prompts import copy_for

_DATE_TOKEN = re.compile(r"<!date\^00000000\^\{_\}\|([*_~`])>")
ATTACK = "*bold* `code` _it_ ~st~ <@U123> <!channel> <http://x.io|y> & < > > quote"


def shown(mrkdwn: str) -> str:
    """What Slack displays for our mrkdwn, formatting aside: tokens' fallbacks, entities undone."""
    return html.unescape(_DATE_TOKEN.sub(r"\1", mrkdwn).replace("\u00ad", ""))


def _check_text(text: dict[str, Any], limit: int) -> None:
    assert text["type"] in ("plain_text", "mrkdwn") and 1 <= len(text["text"]) <= limit
    if text["type"] == "mrkdwn":  # nothing a person typed can form a mention, link or tag
        assert "<" not in _DATE_TOKEN.sub("", text["text"])


def _check_element(element: dict[str, Any], ids: set[str]) -> None:
    kind = element["type"]
    if kind == "mrkdwn":
        _check_text(element, 3000)
        return
    assert len(element["action_id"]) <= 255 and element["action_id"] not in ids
    ids.add(element["action_id"])
    if kind == "button":
        _check_text(element["text"], 75)
        assert len(element.get("value", "")) <= 2000
        assert element.get("style") in (None, "primary", "danger")
    if kind == "static_select":
        _check_text(element["placeholder"], 150)
        assert 1 <= len(element["options"]) <= 100
        for option in element["options"]:
            _check_text(option["text"], 75)
            assert len(option["value"]) <= 150


def check_blocks(blocks: list[dict[str, Any]], max_blocks: int = 50) -> None:
    """Assert Block Kit's limits on one message (50 blocks) or view (100 blocks)."""
    assert len(blocks) <= max_blocks
    ids: set[str] = set()
    for block in blocks:
        kind = block["type"]
        assert len(block.get("block_id", "")) <= 255
        if kind == "header":
            _check_text(block["text"], 150)
        elif kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                _check_text(block["text"], 3000)
            assert len(block.get("fields", [])) <= 10
            for field in block.get("fields", []):
                _check_text(field, 2000)
        elif kind in ("actions", "context"):
            assert 1 <= len(block["elements"]) <= (25 if kind == "actions" else 10)
            for element in block["elements"]:
                _check_element(element, ids)
        else:
            assert kind in ("divider", "input"), kind


def render(message: Message, outbox_id: int | None = None) -> list[dict[str, Any]]:
    """The payloads of `message`, each checked against Slack's limits."""
    payloads = message_payloads(message, outbox_id=outbox_id, copy=copy_for("en"))
    for payload in payloads:
        check_blocks(payload["blocks"])
        assert 1 <= len(payload["text"]) <= 3000
    return payloads


def all_blocks(message: Message, outbox_id: int | None = None) -> list[dict[str, Any]]:
    return [block for payload in render(message, outbox_id) for block in payload["blocks"]]


def test_a_full_message_renders_every_part_in_order() -> None:
    message = Message(
        title="Your session",
        text="Hello *Ana*,\n\nsee you `Tuesday`.",
        facts=(Fact(label="Coach", value="Ben"), Fact(label="When", value="Tue 10:00")),
        buttons=(
            Button(label="Confirm", action_id="booking.confirm", value="42", style="primary"),
            Button(label="Cancel", action_id="booking.cancel", value="42", style="danger"),
            Button(label="Later", action_id="booking.later"),
        ),
        footer="Sent by your coaching programme",
        attachments=(Attachment(filename="invite.ics", media_type="text/calendar", content="x"),),
    )
    blocks = all_blocks(message)
    kinds = "header section section actions context context"
    assert [b["type"] for b in blocks] == kinds.split()
    assert blocks[0]["text"] == {"type": "plain_text", "text": "Your session"}
    assert blocks[1]["text"]["text"] == "Hello *Ana*,\n\nsee you `Tuesday`."
    assert "verbatim" not in blocks[1]["text"]
    assert [f["text"] for f in blocks[2]["fields"]] == ["*Coach*\nBen", "*When*\nTue 10:00"]
    confirm, cancel, later = blocks[3]["elements"]
    assert [confirm[k] for k in ("action_id", "value", "style")] == [
        "booking.confirm|0",
        "42",
        "primary",
    ]
    assert cancel["style"] == "danger" and "style" not in later and "value" not in later
    assert blocks[4]["elements"][0]["text"] == ":paperclip: invite.ics"
    assert blocks[5]["elements"][0]["text"] == "Sent by your coaching programme"


def test_fallback_text_is_plain_short_and_escaped() -> None:
    message = Message(title="Hi *there*", text=f"Use `book` & {literal('<!here> *x*')}")
    assert fallback_text(message) == "Hi there\nUse book &amp; &lt;!here&gt; *x*"
    long = fallback_text(Message(text="word " * 1000))
    assert len(long) <= 300 and long.endswith("…")


def test_literal_text_is_shown_exactly_and_never_formats_or_mentions() -> None:
    message = Message(
        text=f"Your goal: {literal(ATTACK)}",
        facts=(Fact(label="Goal", value=literal(ATTACK)),),
        footer=literal(ATTACK),
    )
    blocks = all_blocks(message)
    section, fields, footer = blocks
    assert section["text"]["verbatim"] is True
    assert shown(section["text"]["text"]) == f"Your goal: {ATTACK}"
    assert shown(fields["fields"][0]["text"]) == f"*Goal*\n{ATTACK}"
    assert shown(footer["elements"][0]["text"]) == ATTACK
    for text in (section["text"], fields["fields"][0], footer["elements"][0]):
        bare = _DATE_TOKEN.sub("", text["text"])
        assert "<" not in bare and "*bold*" not in bare and "`code`" not in bare
        assert not re.search(r"(^|\n)&gt;", bare)  # a literal never starts a block quote


def test_core_text_keeps_its_formatting_but_escapes_angle_brackets() -> None:
    (section,) = all_blocks(Message(text="*Bold* `code` a < b & <!channel>"))
    assert section["text"]["text"] == "*Bold* `code` a &lt; b &amp; &lt;!channel&gt;"


def test_a_20000_char_text_splits_at_paragraphs_and_loses_nothing() -> None:
    paragraphs = [" ".join(f"p{p}w{w}" for w in range(60)) for p in range(52)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 20_000
    blocks = all_blocks(Message(text=text))
    assert len(blocks) > 6
    joined = "\n\n".join(b["text"]["text"] for b in blocks)
    assert joined == text  # split only between paragraphs


def test_one_endless_line_is_cut_hard_without_breaking_tokens() -> None:
    text = "x" * 9000 + literal("*&<" * 2000)
    blocks = all_blocks(Message(text=text))
    rendered = "".join(b["text"]["text"] for b in blocks)
    assert shown(rendered) == "x" * 9000 + "*&<" * 2000
    for block in blocks:  # every piece holds whole tokens and whole entities only
        bare = _DATE_TOKEN.sub("", block["text"]["text"])
        assert "<" not in bare and "00000000" not in bare and "|" not in bare
        assert "&" not in re.sub(r"&(amp|lt|gt);", "", bare)


def test_over_50_blocks_become_several_payloads_in_order() -> None:
    text = "\n\n".join(f"{n:03d} " + "y" * 2990 for n in range(120))
    payloads = render(
        Message(title="Long", text=text, buttons=(Button(label="Ok", action_id="a"),))
    )
    assert len(payloads) == 3
    blocks = [b for p in payloads for b in p["blocks"]]
    assert [len(p["blocks"]) for p in payloads] == [50, 50, 22]
    numbers = [b["text"]["text"][:3] for b in blocks if b["type"] == "section"]
    assert numbers == [f"{n:03d}" for n in range(120)]
    assert blocks[0]["type"] == "header" and blocks[-1]["type"] == "actions"
    assert all(p["text"] == payloads[0]["text"] for p in payloads)


def test_60_buttons_fill_three_action_blocks_with_unique_ids() -> None:
    buttons = tuple(Button(label=f"B{n}", action_id="pick", value=str(n)) for n in range(60))
    blocks = all_blocks(Message(text="Pick", buttons=buttons))
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 25, 10]
    elements = [e for a in actions for e in a["elements"]]
    assert len({e["action_id"] for e in elements}) == 60
    assert {action_id_of(e["action_id"]) for e in elements} == {"pick"}
    assert [e["value"] for e in elements] == [str(n) for n in range(60)]


def test_150_choices_become_two_selects_and_keep_every_option() -> None:
    options = tuple(Option(label=f"Slot {n}", value=f"s{n}") for n in range(150))
    choices = Choices(action_id="slot.pick", placeholder="Pick a slot", options=options)
    blocks = all_blocks(
        Message(text="When?", buttons=(Button(label="No", action_id="x"),), choices=choices)
    )
    selects = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    selects = [s for s in selects if s["type"] == "static_select"]
    assert [len(s["options"]) for s in selects] == [100, 50]
    assert [s["placeholder"]["text"] for s in selects] == [
        "Pick a slot (1–100)",
        "Pick a slot (101–150)",
    ]
    assert [s["action_id"] for s in selects] == ["slot.pick|1", "slot.pick|2"]
    values = [o["value"] for s in selects for o in s["options"]]
    assert values == [f"s{n}" for n in range(150)]


def test_long_labels_are_cut_and_long_values_refused() -> None:
    blocks = all_blocks(
        Message(
            title="T" * 140,
            text="x",
            buttons=(Button(label="L" * 100, action_id="a"),),
            choices=Choices(
                action_id="c", placeholder="P" * 200, options=(Option(label="O" * 90, value="v"),)
            ),
        )
    )
    (button,), (select,) = blocks[-2]["elements"], blocks[-1]["elements"]
    assert button["text"]["text"] == "L" * 74 + "…"
    assert select["placeholder"]["text"] == "P" * 149 + "…"
    assert select["options"][0]["text"]["text"] == "O" * 74 + "…"
    with pytest.raises(ValueError, match="value over 2000"):
        render(Message(text="x", buttons=(Button(label="a", action_id="a", value="v" * 2001),)))
    with pytest.raises(ValueError, match="value over 150"):
        options = (Option(label="a", value="v" * 151),)
        render(Message(text="x", choices=Choices(action_id="c", placeholder="p", options=options)))


def test_a_title_over_150_chars_becomes_a_bold_section() -> None:
    title = "A" * 200
    first = all_blocks(Message(title=title, text="x"))[0]
    assert first["type"] == "section" and first["text"]["text"] == f"*{title}*"
    header = all_blocks(Message(title=literal("*me*"), text="x"))[0]
    assert header["text"]["text"] == "*me*"


def test_many_and_long_facts_keep_their_order() -> None:
    facts = [Fact(label=f"L{n}", value=f"v{n}") for n in range(12)]
    facts.insert(5, Fact(label="Long", value="z " * 1600))
    blocks = all_blocks(Message(text="Facts", facts=tuple(facts)))
    shapes = [len(b["fields"]) if "fields" in b else "text" for b in blocks[1:]]
    assert shapes == [5, "text", "text", 7]
    assert blocks[2]["text"]["text"].startswith("*Long*\nz z")


def test_a_form_gets_an_open_form_button_only_with_an_outbox_id() -> None:
    form = Form(
        form_id="goal", title="Goal", submit_label="Save", fields=(FormField(name="g", label="G"),)
    )
    message = Message(text="Tell me your goal", form=form)
    blocks = all_blocks(message, outbox_id=17)
    assert blocks[0]["text"]["text"] == "Tell me your goal"
    (button,) = blocks[1]["elements"]
    assert button == {
        "type": "button",
        "action_id": OPEN_FORM,
        "value": "17",
        "style": "primary",
        "text": {"type": "plain_text", "text": "Open form"},
    }
    assert [b["type"] for b in all_blocks(message)] == ["section"]


def test_replaces_changes_nothing_in_the_payload() -> None:
    message = Message(text="Updated", buttons=(Button(label="Ok", action_id="ok"),))
    assert render(message) == render(message.model_copy(update={"replaces": "booking:1"}))


def test_an_empty_text_adds_no_empty_section() -> None:
    blocks = all_blocks(Message(text="  \n\n ", buttons=(Button(label="Ok", action_id="ok"),)))
    assert [b["type"] for b in blocks] == ["actions"]


def test_a_long_footer_and_many_files_stay_within_context_limits() -> None:
    files = tuple(
        Attachment(filename=f"f{n}_*.ics", media_type="text/calendar", content="")
        for n in range(12)
    )
    blocks = all_blocks(Message(text="x", footer="f " * 2000, attachments=files))
    contexts = [b for b in blocks if b["type"] == "context"]
    assert [len(c["elements"]) for c in contexts] == [10, 2, 2]
    assert shown(contexts[0]["elements"][0]["text"]) == ":paperclip: f0_*.ics"


@given(st.text(alphabet=st.sampled_from("ab *_~`<>&!@#|\n"), max_size=400))
def test_any_literal_is_shown_exactly_and_splits_cleanly(text: str) -> None:
    rendered = mrkdwn(literal(text))
    assert shown(rendered) == text.replace("\x0e", "").replace("\x0f", "")
    assert "<" not in _DATE_TOKEN.sub("", rendered)
    pieces = chunks(rendered, 100)
    assert all(len(p) <= 100 and "<" not in _DATE_TOKEN.sub("", p) for p in pieces)
