"""The brief's synthesis through the sweep, the real openai client and the local stub (issue 7).

One coach, two leaders with sessions due at the same sweep: each request carries one leader's
shared items only, with store=false, no tools and bounded tokens; a failing or slow model leaves
the brief on time and without the machine-written paragraph; nothing private ever goes out.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.brief_sweep import brief_sweep
from bot.llm import LLM
from bot.llm_prompts import template
from bot.ui import Message, plain
from storage.db import Database
from tests.bot.brief_world import (
    BOTH_DUE,
    DUE_A,
    MARGIN,
    TIMEOUT,
    Leader,
    briefs,
    coach_of,
    ctx_for,
    llm,
    two_leaders,
)
from tests.llm_stub import LlmStub, Reply, llm_stub

__all__ = ["llm", "llm_stub"]

LABEL = "Machine-written summary"
PARAGRAPH = "Themes this fortnight: pacing and delegation."
ALLOWED_KEYS = {"model", "messages", "store", "max_tokens", "temperature"}


def request_of(stub: LlmStub, leader: Leader) -> dict[str, Any]:
    """The one recorded request that carries this leader's words."""
    found = [b for b in stub.requests if leader.shared[0] in json.dumps(b)]
    assert len(found) == 1, f"{len(found)} requests carry {leader.identity[0]}'s words"
    return found[0]


def everything(message: Message) -> str:
    """All the words of a message, literal marks removed."""
    return plain(message.model_dump_json())


async def test_each_synthesis_request_carries_one_leaders_items_only(
    db: Database, llm_stub: LlmStub, llm: LLM
) -> None:
    sam, kim = await two_leaders(db)
    coach = await coach_of(db, sam)
    llm_stub.default = Reply.text(PARAGRAPH)
    assert await brief_sweep(ctx_for(db), BOTH_DUE, llm=llm) == "2 briefs"
    assert len(llm_stub.requests) == 2
    for mine, other in ((sam, kim), (kim, sam)):
        body = request_of(llm_stub, mine)
        assert set(body) <= ALLOWED_KEYS, set(body) - ALLOWED_KEYS  # no tools, user, metadata
        assert body["model"] == "test-model" and body["store"] is False
        assert "tools" not in body and "tool_choice" not in body
        assert body["max_tokens"] == template("synthesis").max_tokens <= 300
        sent = json.dumps(body, ensure_ascii=False)
        for text in mine.shared:
            assert text in sent
        first, *_ = mine.identity[0].split()
        assert f"Leader's first name: {first}" in sent
        for absent in (*mine.private, mine.identity[0], mine.identity[1]):
            assert absent not in sent  # the first name only, nothing kept private
        for absent in (*other.shared, *other.private, *other.identity):
            assert absent not in sent, absent
        for absent in (coach.name, coach.email):
            assert absent not in sent
    headers = json.dumps(llm_stub.headers)
    for absent in (*sam.identity, *kim.identity, coach.email):
        assert absent not in headers  # nothing about anyone travels in the headers either


async def test_the_paragraph_goes_above_the_verbatim_words_labelled(
    db: Database, llm_stub: LlmStub, llm: LLM
) -> None:
    sam, kim = await two_leaders(db)
    llm_stub.default = Reply.text(PARAGRAPH)
    assert await brief_sweep(ctx_for(db), BOTH_DUE, llm=llm) == "2 briefs"
    found = await briefs(db)
    for mine, other in ((sam, kim), (kim, sam)):
        row, message = found[mine.booking_id]
        text = plain(message.text)
        label = text.index(LABEL)
        assert label < text.index(PARAGRAPH) < text.index("Shared with you:")
        assert text.index(PARAGRAPH) < min(text.index(t) for t in mine.shared)
        assert text.count(LABEL) == 1 and text.count(PARAGRAPH) == 1
        assert row.created_at == BOTH_DUE
        for absent in (*other.shared, *other.private, *other.identity, *mine.private):
            assert absent not in everything(message), absent


@pytest.mark.parametrize(
    "failure",
    [
        Reply.error(429, retry_after=30),
        Reply.error(500),
        Reply(delay=TIMEOUT + 2.0),
    ],
    ids=["429-retry-after-30", "500", "timeout"],
)
async def test_a_failing_model_leaves_the_brief_on_time_without_the_paragraph(
    db: Database, llm_stub: LlmStub, llm: LLM, failure: Reply
) -> None:
    sam, _ = await two_leaders(db)
    llm_stub.default = failure  # every try, retries included
    started = time.monotonic()
    assert await brief_sweep(ctx_for(db), DUE_A, llm=llm) == "1 briefs"  # only Sam's is due
    assert time.monotonic() - started < TIMEOUT + MARGIN  # an upper bound, not a timing test
    assert 1 <= len(llm_stub.requests) <= 2  # the model was tried; at most one retry
    [(row, message)] = (await briefs(db)).values()
    assert row.dedupe_key == f"brief:{sam.booking_id}:0" and row.created_at == DUE_A
    text = plain(message.text)
    assert LABEL not in text and "AI model" not in text
    for shared in sam.shared:
        assert shared in text


async def test_two_failing_syntheses_stay_within_their_deadlines(
    db: Database, llm_stub: LlmStub, llm: LLM
) -> None:
    await two_leaders(db)
    llm_stub.default = Reply(delay=TIMEOUT + 2.0)
    started = time.monotonic()
    assert await brief_sweep(ctx_for(db), BOTH_DUE, llm=llm) == "2 briefs"
    assert time.monotonic() - started < 2 * TIMEOUT + MARGIN
    assert all(LABEL not in m.text for _, m in (await briefs(db)).values())


async def test_nothing_kept_private_reaches_the_brief_or_the_model(
    db: Database, llm_stub: LlmStub, llm: LLM
) -> None:
    sam, kim = await two_leaders(db)
    llm_stub.default = Reply(echo=True)  # whatever the model read comes back into the brief
    assert await brief_sweep(ctx_for(db), BOTH_DUE, llm=llm) == "2 briefs"
    sent = "\n".join(json.dumps(b, ensure_ascii=False) for b in llm_stub.requests)
    found = await briefs(db)
    for mine, other in ((sam, kim), (kim, sam)):
        _, message = found[mine.booking_id]
        shown = everything(message)
        assert LABEL in shown  # the echo came back as the paragraph
        for secret in mine.private:
            assert secret not in sent and secret not in shown, secret
        for absent in (*other.shared, *other.private, *other.identity):
            assert absent not in shown, absent
        for shared in mine.shared:
            assert shared in shown
