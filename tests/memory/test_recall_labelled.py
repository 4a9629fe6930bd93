"""Recall quality on the hand-labelled set of Spanish and cross-lingual queries."""

from __future__ import annotations

import pytest

from memory import Memory
from memory.database import open_pool
from tests.conftest import TEMPLATE_DB, WORKER, create_database, drop_database
from tests.memory.labelled_recall import (
    format_table,
    ingest_labelled,
    is_cross_lingual,
    labelled_set,
    recall_table,
)


@pytest.fixture(scope="module")
async def table(pg_admin_url, template_url, embeddings):
    """The set ingested once, into a database of this module's own; both tests read its table."""
    name = f"t_recall_labelled_{WORKER}"
    drop_database(pg_admin_url, name)
    url = create_database(pg_admin_url, name, template=TEMPLATE_DB)
    pool = await open_pool(url, min_size=1, max_size=5)
    try:
        memory = Memory(pool=pool, embeddings=embeddings, url=url)
        ingested = await ingest_labelled(memory)
        result = await recall_table(memory, ingested)
    finally:
        await pool.close()
        drop_database(pg_admin_url, name)
    print("\nrecall on tests/data/recall_labelled.json\n" + format_table(result))  # pytest -s
    return result


def test_labelled_set_is_large_enough_and_cross_lingual():
    queries = labelled_set()["queries"]
    cross = [q for q in queries if is_cross_lingual(q)]
    assert len(queries) >= 30
    assert any(q["language"] == "en" for q in cross), "needs English query → Spanish chunk"
    assert any(q["language"] == "es" for q in cross), "needs Spanish query → English chunk"


async def test_hybrid_recall_at_3_is_at_least_0_9(table):
    assert table["hybrid"][3] >= 0.9, format_table(table)


async def test_hybrid_beats_vector_only_and_text_only(table):
    assert table["hybrid"][3] > table["vector"][3], format_table(table)
    assert table["hybrid"][3] > table["text"][3], format_table(table)
