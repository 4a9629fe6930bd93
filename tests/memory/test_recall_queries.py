"""Recall takes whatever a customer or a model writes as a query, and finds exact tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory import recall, save_call, save_message
from tests.memory.conftest import make_call

ODD_QUERIES = [
    "O'Brien",
    "'",
    "''",
    "a\\b",
    "C:\\Users\\ana\\cotización.pdf",
    "x:y & z | !w <-> (v)",
    "ana.perez@example.com",
    "https://example.com/a?b=c&d='e'",
    "¿¡…!?",
    "🙂 gracias 🙏",
    "\x00",
    "sábado" * 200,
]


@pytest.fixture
async def customer_id(memory):
    saved = await save_call(
        memory,
        make_call(
            turns=[
                ("agent", "¿A qué correo le envío la cotización?"),
                (
                    "customer",
                    "A ana.perez@example.com, y el archivo es C:\\Users\\ana\\cotización.pdf",
                ),
                ("agent", "Anotado, señora O'Brien."),
            ]
        ),
    )
    return saved.customer.id


@pytest.mark.parametrize("query", ODD_QUERIES)
@pytest.mark.parametrize("mode", ["hybrid", "text"])
async def test_any_query_text_is_accepted(memory, customer_id, query, mode):
    hits = await recall(memory, customer_id, query, k=3, mode=mode)

    assert len(hits) <= 3


@pytest.mark.parametrize(
    "query", ["ana.perez@example.com", "C:\\Users\\ana\\cotización.pdf", "O'Brien"]
)
async def test_exact_tokens_are_found_by_the_keyword_side(memory, customer_id, query):
    hits = await recall(memory, customer_id, query, k=3, mode="text")

    assert hits and hits[0].keyword_score is not None and hits[0].keyword_score > 0


async def test_an_empty_query_recalls_nothing(memory, customer_id):
    assert await recall(memory, customer_id, "   ", k=3) == []


async def test_before_leaves_out_later_chunks_in_sql(memory, customer_id):
    """The agent's own turn (already indexed) must not take a place or set the keyword cutoff."""
    message, _ = await save_message(
        memory,
        customer_id,
        channel="whatsapp",
        direction="inbound",
        role="customer",
        text="¿A qué correo me envían la cotización?",
    )
    everything = await recall(memory, customer_id, "correo cotización", k=5)
    assert any(h.channel == "whatsapp" for h in everything)
    earlier = await recall(memory, customer_id, "correo cotización", k=5, before=message.created_at)
    assert earlier and all(h.channel == "call" for h in earlier)
    assert all(h.occurred_at < message.created_at for h in earlier)
    nothing = await recall(
        memory, customer_id, "correo cotización", k=5, before=datetime(2000, 1, 1, tzinfo=UTC)
    )
    assert nothing == []
