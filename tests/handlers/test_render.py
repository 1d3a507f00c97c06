"""The playground renderer: every element kind, escaping, and times in the viewer's zone."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

from bot.ui import (
    Attachment,
    Button,
    Choices,
    Fact,
    Form,
    FormField,
    Message,
    Option,
    literal,
    segments,
)
from handlers.web.render import inline, paragraphs, render_message
from prompts import Copy
from tests.factories import T0

EVIL = "<script>alert('x')</script>"


def render(message: Message, zone: str = "America/New_York") -> str:
    return render_message(message, sent_at=T0, zone=zone, dom_id="m7", copy=Copy("en"))


class Tags(HTMLParser):
    """Collect (tag, attrs) of every start tag, to check structure rather than substrings."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]


def test_text_paragraphs_bold_and_code() -> None:
    html = paragraphs("Hi *Sam*.\nSecond line\n\nRun `app.py import` now")
    assert html == (
        "<p>Hi <strong>Sam</strong>.<br>Second line</p><p>Run <code>app.py import</code> now</p>"
    )


def test_every_person_supplied_string_is_escaped() -> None:
    message = Message(
        title=EVIL,
        text=f"Hello {EVIL} & *{EVIL}*",
        facts=(Fact(label=EVIL, value=EVIL),),
        buttons=(Button(label=EVIL, action_id='a"b', value='"><img src=x onerror=alert(1)>'),),
        choices=Choices(
            action_id=EVIL, placeholder=EVIL, options=(Option(label=EVIL, value=EVIL),)
        ),
        form=Form(
            form_id=EVIL,
            title=EVIL,
            submit_label=EVIL,
            context=EVIL,
            fields=(
                FormField(name="n", label=EVIL, placeholder=EVIL, initial=EVIL),
                FormField(name="m", label=EVIL, kind="multiline", initial=f"</textarea>{EVIL}"),
            ),
        ),
        footer=EVIL,
    )
    html = render(message)
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    parsed = Tags(html)
    assert not parsed.named("script") and not parsed.named("img")
    [button] = [b for b in parsed.named("button") if b.get("data-action-id")]
    assert button["data-action-id"] == 'a"b'
    assert button["data-value"] == '"><img src=x onerror=alert(1)>'
    [context] = [i for i in parsed.named("input") if i.get("type") == "hidden"]
    assert context["value"] == EVIL
    assert "<strong>&lt;script&gt;" in html


def test_title_facts_buttons_footer_and_time_in_viewer_zone() -> None:
    message = Message(
        title="Your upcoming sessions",
        text="Times are shown in your time zone.",
        facts=(Fact(label="Thu 26 Nov", value="Coaching session with Ana"),),
        buttons=(
            Button(label="My sessions", action_id="command", value="sessions"),
            Button(label="Cancel", action_id="cancel", value="9", style="danger"),
        ),
        footer="Your words stay yours.",
    )
    html = render(message)
    parsed = Tags(html)
    assert parsed.named("article")[0]["id"] == "m7"
    assert "<h3>Your upcoming sessions</h3>" in html
    assert "<dt>Thu 26 Nov</dt><dd>Coaching session with Ana</dd>" in html
    buttons = parsed.named("button")
    assert [(b["data-action-id"], b["data-value"], b["type"]) for b in buttons] == [
        ("command", "sessions", "button"),
        ("cancel", "9", "button"),
    ]
    assert "cc-btn-danger" in (buttons[1]["class"] or "")
    assert '<p class="cc-footer">Your words stay yours.</p>' in html
    [when] = parsed.named("time")
    assert when["datetime"] == "2026-11-24T10:00:00+00:00"
    assert ">Tue 24 Nov 2026, 05:00 EST</time>" in html
    assert "10:00 UTC</time>" in render(message, zone="UTC")


def test_plain_message_has_no_optional_parts() -> None:
    html = render(Message(text="Hello"))
    parsed = Tags(html)
    for tag in ("h3", "dl", "button", "form", "select"):
        assert not parsed.named(tag), tag
    assert "<p>Hello</p>" in html


def test_choices_are_a_select_with_a_button() -> None:
    message = Message(
        text="Pick a slot",
        choices=Choices(
            action_id="pick_slot",
            placeholder="Choose a time",
            options=(Option(label="Tue 09:00", value="s1"), Option(label="Tue 10:00", value="s2")),
        ),
    )
    parsed = Tags(render(message))
    [form] = parsed.named("form")
    assert form["data-choice-action-id"] == "pick_slot"
    [select] = parsed.named("select")
    [label] = parsed.named("label")
    assert label["for"] == select["id"] and "required" in select
    values = [o["value"] for o in parsed.named("option")]
    assert values == ["", "s1", "s2"]
    [submit] = parsed.named("button")
    assert submit["type"] == "submit"
    assert ">Choose</button>" in render(message)


def test_form_has_every_field_kind_with_its_constraints() -> None:
    form = Form(
        form_id="book_session",
        title="Book a session",
        submit_label="Book",
        fields=(
            FormField(name="topic", label="Topic", placeholder="What about?", max_length=80),
            FormField(name="notes", label="Notes", kind="multiline", required=False, initial="hi"),
            FormField(
                name="slot",
                label="Slot",
                kind="select",
                initial="b",
                options=(Option(label="A", value="a"), Option(label="B", value="b")),
            ),
            FormField(name="score", label="Score", kind="number", initial="3"),
            FormField(name="day", label="Day", kind="date"),
            FormField(name="at", label="At", kind="time", required=False),
        ),
    )
    html = render(Message(text="Fill this in", form=form))
    parsed = Tags(html)
    [element] = parsed.named("form")
    assert element["data-form-id"] == "book_session"
    inputs = {i["name"]: i for i in parsed.named("input")}
    assert inputs["topic"]["type"] == "text"
    assert inputs["topic"]["maxlength"] == "80"
    assert inputs["topic"]["placeholder"] == "What about?"
    assert "required" in inputs["topic"]
    assert inputs["score"]["type"] == "number" and inputs["score"]["value"] == "3"
    assert inputs["day"]["type"] == "date" and "required" in inputs["day"]
    assert inputs["at"]["type"] == "time" and "required" not in inputs["at"]
    [textarea] = parsed.named("textarea")
    assert textarea["name"] == "notes" and textarea["maxlength"] == "3000"
    assert "required" not in textarea
    assert ">hi</textarea>" in html
    [select] = parsed.named("select")
    assert select["name"] == "slot"
    options = parsed.named("option")
    assert [o["value"] for o in options] == ["", "a", "b"]
    assert "selected" in options[2] and "selected" not in options[1]
    labels = {label["for"] for label in parsed.named("label")}
    ids = {i["id"] for i in parsed.named("input")} | {textarea["id"], select["id"]}
    assert labels == ids and len(ids) == 6
    [submit] = parsed.named("button")
    assert submit["type"] == "submit"
    assert "<h4>Book a session</h4>" in html and ">Book</button>" in html
    assert not [i for i in parsed.named("input") if i.get("type") == "hidden"]


def test_inline_does_not_bold_across_lines_or_lone_stars() -> None:
    assert inline("a * b\nc * d") == "a * b\nc * d"
    assert inline("5 * 3 = *15*") == "5 * 3 = <strong>15</strong>"


def test_attachments_become_download_links_with_the_file_inside() -> None:
    ics = "BEGIN:VCALENDAR\r\nSUMMARY:<b>x</b>\r\nEND:VCALENDAR\r\n"
    message = Message(
        text="Booked",
        attachments=(
            Attachment(
                filename='session".ics', media_type="text/calendar; method=REQUEST", content=ics
            ),
        ),
    )
    links = Tags(render(message)).named("a")
    assert len(links) == 1
    assert links[0]["download"] == 'session".ics'
    href = links[0]["href"] or ""
    assert href.startswith("data:text/calendar;base64,")
    assert base64.b64decode(href.split(",", 1)[1]).decode() == ics


def test_literal_words_are_escaped_but_never_formatted() -> None:
    title = "<b>x</b> Delegate 📊 reporting & “quotes” *bold* `code`"
    html = paragraphs(f"*Note*: {literal(title)}: choose where you are now `here`")
    assert html == (
        "<p><strong>Note</strong>: &lt;b&gt;x&lt;/b&gt; Delegate 📊 reporting &amp; “quotes” "
        "*bold* `code`: choose where you are now <code>here</code></p>"
    )
    assert inline(literal("*a*") + " *b*") == "*a* <strong>b</strong>"
    fact = render(Message(text="t", facts=(Fact(label="Goal", value=literal("*x*")),)))
    assert "<dd>*x*</dd>" in fact


def test_literal_cannot_be_broken_out_of_and_stray_marks_vanish() -> None:
    sneaky = literal("a\x0f *b* \x0e")  # the marks inside are removed, so all stays literal
    assert segments(sneaky) == [("a *b* ", True)]
    assert inline(sneaky) == "a *b* "
    assert inline("\x0e*c*") == "<strong>c</strong>"  # an unclosed mark is dropped
    assert segments("") == []
