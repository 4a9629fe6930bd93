"""Moments: one range for every stored date (`memory.dates`), refused before anything is
written, and stored values outside it (older rows, or written behind Hilo's back) read clamped
rather than breaking every page that shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from memory import (
    InvalidDate,
    create_next_action,
    customer_context,
    get_or_create_customer,
    list_next_actions,
    update_next_action,
)
from memory.dates import EARLIEST, LATEST
from memory.inbox import next_actions_board

PLUS_14 = timezone(timedelta(hours=14))
BOGOTA = timezone(timedelta(hours=-5))
OUT_OF_RANGE = [
    datetime(1, 1, 1, tzinfo=PLUS_14),  # before year 1 in UTC
    datetime(9999, 12, 31, 23, 59, tzinfo=BOGOTA),  # after year 9999 in UTC
    datetime(1899, 5, 1, tzinfo=UTC),
    datetime(2200, 5, 1, tzinfo=UTC),
]


async def _actions_count(memory) -> int:
    async with memory.pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) AS n FROM next_actions")).fetchone()
    return row["n"]


@pytest.mark.parametrize("due", OUT_OF_RANGE, ids=str)
async def test_an_out_of_range_due_date_is_refused_and_nothing_is_stored(memory, due):
    customer = await get_or_create_customer(memory, "+573001112233")
    with pytest.raises(InvalidDate):
        await create_next_action(memory, customer.id, "Llamar", due_at=due)
    assert await _actions_count(memory) == 0


async def test_a_due_date_without_an_offset_is_refused(memory):
    customer = await get_or_create_customer(memory, "+573001112233")
    with pytest.raises(InvalidDate, match="offset"):
        await create_next_action(memory, customer.id, "Llamar", due_at=datetime(2026, 12, 1))


@pytest.mark.parametrize("due", OUT_OF_RANGE[:2], ids=str)
async def test_rescheduling_out_of_range_leaves_the_action_as_it_was(memory, due):
    customer = await get_or_create_customer(memory, "+573001112233")
    good = datetime(2026, 12, 1, 10, tzinfo=BOGOTA)
    action = await create_next_action(memory, customer.id, "Llamar", due_at=good)
    with pytest.raises(InvalidDate):
        await update_next_action(memory, customer.id, action.id, due_at=due, status="done")
    [kept] = await list_next_actions(memory, customer.id)
    assert (kept.due_at, kept.status) == (good, "open")


@pytest.mark.parametrize(
    "stored, shown",
    [
        ("0001-01-01 00:00:00+14", EARLIEST),
        ("9999-12-31 23:59:00-05", LATEST),
        ("infinity", LATEST),
        ("-infinity", EARLIEST),
        ("1500-06-01 00:00:00+00", EARLIEST),
    ],
)
async def test_a_stored_due_date_outside_the_range_reads_clamped(memory, stored, shown):
    customer = await get_or_create_customer(memory, "+573001112233")
    action = await create_next_action(memory, customer.id, "Llamar")
    async with memory.pool.connection() as conn:  # what an older Hilo could have stored
        await conn.execute(
            "UPDATE next_actions SET due_at = %s::timestamptz WHERE id = %s", (stored, action.id)
        )
    [read] = await list_next_actions(memory, customer.id)
    assert read.due_at == shown
    board = await next_actions_board(memory)
    assert board[0].due_at == shown
    context = await customer_context(memory, customer.id)
    assert context.as_dict()["next_actions"][0]["due"] == shown.isoformat()
