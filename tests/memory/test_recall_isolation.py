"""Recall never returns another customer's memory (property test over many customers).

One database serves every example, so customers pile up across examples: later queries run
against dozens of customers who share most of their vocabulary.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from memory import Memory, get_or_create_customer, recall, save_call, save_message
from memory.database import open_pool
from tests.conftest import TEMPLATE_DB, WORKER, create_database, drop_database
from tests.memory.conftest import make_call

# Everyone talks about the same things: the words overlap on purpose.
# fmt: off
WORDS = [
    "presupuesto", "paneles", "batería", "instalación", "factura", "millones", "garantía",
    "inversor", "correo", "visita", "sábado", "crédito", "cuotas", "descuento", "techo", "Cali",
    "Medellín", "cotización", "Laura", "Andrés", "energía", "luz", "budget", "panels",
    "battery", "install", "email", "price", "quote",
]
# fmt: on

_phones = itertools.count(1_000_000)
_conversations = itertools.count()


def new_phone() -> str:
    return f"+57 300 {next(_phones):07d}"


sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
call_turns = st.lists(
    st.tuples(st.sampled_from(["agent", "customer"]), sentence), min_size=1, max_size=6
)
customer_story = st.tuples(
    st.lists(call_turns, max_size=2),  # calls
    st.lists(sentence, max_size=3),  # WhatsApp messages
)
queries = st.one_of(sentence, st.text(max_size=40))


@pytest.fixture(scope="module")
async def shared_memory(pg_admin_url, template_url, embeddings) -> AsyncIterator[Memory]:
    name = f"t_recall_isolation_{WORKER}"
    drop_database(pg_admin_url, name)
    url = create_database(pg_admin_url, name, template=TEMPLATE_DB)
    pool = await open_pool(url, min_size=1, max_size=3)
    yield Memory(pool=pool, embeddings=embeddings, url=url)
    await pool.close()
    drop_database(pg_admin_url, name)


async def add_customer(memory: Memory, story) -> int:
    """A new customer with the story's calls and WhatsApp messages."""
    calls, messages = story
    phone = new_phone()
    customer = await get_or_create_customer(memory, phone)
    for turns in calls:
        conversation_id = f"conv_{next(_conversations)}"
        await save_call(memory, make_call(conversation_id, phone=phone, turns=turns))
    for text in messages:
        await save_message(
            memory, customer.id, channel="whatsapp", direction="inbound", role="customer", text=text
        )
    return customer.id


async def owners(memory: Memory, chunk_ids: list[int]) -> dict[int, set[int]]:
    """Each chunk's customer, as the chunk row says and as its interaction says."""
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                """SELECT c.id, c.customer_id, i.customer_id AS interaction_customer
                   FROM memory_chunks c JOIN interactions i ON i.id = c.interaction_id
                   WHERE c.id = ANY(%s)""",
                (chunk_ids,),
            )
        ).fetchall()
    return {r["id"]: {r["customer_id"], r["interaction_customer"]} for r in rows}


@settings(max_examples=30, deadline=None)
@given(
    stories=st.lists(customer_story, min_size=1, max_size=4),
    asked=st.integers(min_value=0),
    query=queries,
    mode=st.sampled_from(["hybrid", "vector", "text"]),
    channel=st.sampled_from([None, "call", "whatsapp"]),
    k=st.integers(min_value=1, max_value=20),
)
async def test_recall_only_returns_the_asked_customers_chunks(
    shared_memory, stories, asked, query, mode, channel, k
):
    customers = [await add_customer(shared_memory, story) for story in stories]
    customer_id = customers[asked % len(customers)]

    hits = await recall(shared_memory, customer_id, query, k=k, channel=channel, mode=mode)

    event("some hits" if hits else "no hits")  # --hypothesis-show-statistics: not vacuous
    assert len(hits) <= k
    found = await owners(shared_memory, [h.chunk_id for h in hits])
    assert set(found) == {h.chunk_id for h in hits}
    assert all(owner == {customer_id} for owner in found.values()), "another customer's chunk"
    if channel is not None:
        assert {h.channel for h in hits} <= {channel}


async def test_two_customers_with_the_same_words_each_recall_only_their_own(memory):
    turns = [("customer", "Mi presupuesto es de 20 millones para los paneles")]
    first = await save_call(memory, make_call("conv_a", phone="+57 300 0000001", turns=turns))
    second = await save_call(memory, make_call("conv_b", phone="+57 300 0000002", turns=turns))

    for saved in (first, second):
        hits = await recall(memory, saved.customer.id, "presupuesto paneles", k=10)
        assert [h.interaction_id for h in hits] == [saved.interaction_id]
