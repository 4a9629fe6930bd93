"""Recall takes whatever a customer or a model writes as a query, and finds exact tokens."""

from __future__ import annotations

import pytest

from memory import recall, save_call
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
