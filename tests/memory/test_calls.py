"""Finished calls: stored once, whole, or not at all."""

from __future__ import annotations

import asyncio

import pytest

from memory import InvalidCall, save_call, timeline
from tests.memory.conftest import NOTHING, SALES_TURNS, make_call, table_counts


async def test_a_call_stores_its_turns_as_messages_and_searchable_chunks(memory):
    saved = await save_call(memory, make_call())

    messages = await timeline(memory, saved.customer.id)
    assert saved.created
    assert [(m.role, m.text) for m in messages] == SALES_TURNS
    assert {m.channel for m in messages} == {"call"}
    assert [m.direction for m in messages[:2]] == ["outbound", "inbound"]
    counts = await table_counts(memory)
    assert counts["interactions"] == 1
    assert counts["messages"] == len(SALES_TURNS) == saved.turns_stored
    assert counts["memory_chunks"] == saved.chunks_stored > 0


async def test_same_conversation_id_twice_stores_one_call(memory):
    first = await save_call(memory, make_call("conv_dup"))
    after_first = await table_counts(memory)

    second = await save_call(memory, make_call("conv_dup", phone="whatsapp:+573138539155"))

    assert (first.created, second.created) == (True, False)
    assert second.interaction_id == first.interaction_id
    assert second.customer.id == first.customer.id
    assert await table_counts(memory) == after_first


async def test_the_same_call_delivered_twice_at_once_is_stored_once(memory):
    results = await asyncio.gather(*(save_call(memory, make_call("conv_race")) for _ in range(3)))

    assert sorted(r.created for r in results) == [False, False, True]
    assert len({r.interaction_id for r in results}) == 1
    counts = await table_counts(memory)
    assert (counts["interactions"], counts["messages"]) == (1, len(SALES_TURNS))


async def test_the_same_conversation_id_on_another_platform_is_another_call(memory):
    await save_call(memory, make_call("conv_7"))
    other = await save_call(memory, make_call("conv_7", platform="twilio-voice"))

    assert other.created
    assert (await table_counts(memory))["interactions"] == 2


@pytest.mark.parametrize(
    "turns",
    [[], [("agent", "")], [("agent", "   "), ("customer", "\n")]],
    ids=["no turns", "one empty turn", "only whitespace"],
)
async def test_an_empty_transcript_is_rejected_and_writes_nothing(memory, turns):
    with pytest.raises(InvalidCall, match="transcript is empty"):
        await save_call(memory, make_call(turns=turns))

    assert await table_counts(memory) == NOTHING


@pytest.mark.parametrize("phone", [None, ""], ids=["none", "empty"])
async def test_a_call_without_a_phone_is_rejected_and_writes_nothing(memory, phone):
    with pytest.raises(InvalidCall, match="no customer phone number"):
        await save_call(memory, make_call(phone=phone))

    assert await table_counts(memory) == NOTHING


async def test_a_call_without_a_conversation_id_is_rejected_and_writes_nothing(memory):
    with pytest.raises(InvalidCall, match="no conversation id"):
        await save_call(memory, make_call(conversation_id="  "))

    assert await table_counts(memory) == NOTHING


async def test_empty_turns_inside_a_call_are_skipped_but_keep_their_index(memory):
    turns = [("agent", "Hola"), ("customer", ""), ("customer", "Quiero una cotización")]
    saved = await save_call(memory, make_call(turns=turns))

    messages = await timeline(memory, saved.customer.id)
    assert [(m.seq, m.text) for m in messages] == [(0, "Hola"), (2, "Quiero una cotización")]


async def test_nul_characters_in_a_transcript_are_dropped(memory):
    saved = await save_call(memory, make_call(turns=[("customer", "Mi\x00 presupuesto")]))

    assert [m.text for m in await timeline(memory, saved.customer.id)] == ["Mi presupuesto"]


async def test_a_transcript_of_only_nul_characters_is_empty(memory):
    with pytest.raises(InvalidCall, match="transcript is empty"):
        await save_call(memory, make_call(turns=[("customer", "\x00\x00")]))

    assert await table_counts(memory) == NOTHING
