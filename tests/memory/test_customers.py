"""Customers are keyed by one E.164 phone, whatever form the number arrives in."""

from __future__ import annotations

import pytest

from memory import (
    InvalidCall,
    InvalidPhone,
    find_customer_by_phone,
    get_or_create_customer,
    save_call,
)
from tests.memory.conftest import NOTHING, make_call, table_counts

SAME_NUMBER = [
    "+57 313 853 9155",
    "whatsapp:+573138539155",
    "573138539155",
    "313 853 9155",  # national number, read in the default region (CO)
    "(313) 853-9155",
    "0057 313 853 9155",
]

NOT_PHONES = ["12345", "+57 999", "call me maybe", "whatsapp:", "+1 555 0100 12345 99", ""]


async def test_every_phone_form_is_one_customer(memory):
    customers = [await get_or_create_customer(memory, form) for form in SAME_NUMBER]

    assert {c.id for c in customers} == {customers[0].id}
    assert customers[0].phone == "+573138539155"
    assert (await table_counts(memory))["customers"] == 1


async def test_a_customer_is_found_by_any_form_of_their_phone(memory):
    created = await get_or_create_customer(memory, "whatsapp:+573138539155", name="Laura")

    for form in SAME_NUMBER:
        found = await find_customer_by_phone(memory, form)
        assert found is not None and found.id == created.id, form


async def test_a_call_and_a_whatsapp_number_reach_the_same_customer(memory):
    saved = await save_call(memory, make_call(phone="573138539155"))
    on_whatsapp = await get_or_create_customer(memory, "whatsapp:+573138539155")

    assert on_whatsapp.id == saved.customer.id


async def test_a_known_name_is_not_overwritten_by_another_channel(memory):
    await get_or_create_customer(memory, "+57 313 853 9155", name="Laura Gómez")
    again = await get_or_create_customer(memory, "3138539155", name="laura g")

    assert again.name == "Laura Gómez"


@pytest.mark.parametrize("raw", NOT_PHONES)
async def test_an_invalid_phone_is_a_clear_error_and_writes_nothing(memory, raw):
    with pytest.raises(InvalidPhone) as error:
        await get_or_create_customer(memory, raw)

    assert repr(raw) in str(error.value)
    assert "phone" in str(error.value)
    assert await table_counts(memory) == NOTHING


async def test_a_call_from_an_invalid_phone_is_rejected_and_writes_nothing(memory):
    with pytest.raises(InvalidCall, match="not a valid phone number") as error:
        await save_call(memory, make_call(phone="12345"))

    assert isinstance(error.value.__cause__, InvalidPhone)
    assert await table_counts(memory) == NOTHING
