"""Customers: one row per E.164 phone, with profile, language and opt-out state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from memory.errors import UnknownCustomer
from memory.phones import normalize_phone
from memory.store import Memory
from memory.text import jsonb

PROFILE_FIELDS = (
    "product_interest",
    "budget",
    "urgency",
    "stage",
    "email",
    "calls",
    # Contact details a call gave (`agent.analysis`): another number, how and when to reach them.
    "contact_phone",
    "preferred_channel",
    "preferred_time",
)


@dataclass
class Customer:
    id: int
    phone: str
    name: str | None
    language: str
    profile: dict[str, Any] = field(default_factory=dict)
    opted_out: bool = False
    last_inbound_at: datetime | None = None
    created_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Customer:
        return cls(
            id=row["id"],
            phone=row["phone"],
            name=row["name"],
            language=row["language"],
            profile=row["profile"] or {},
            opted_out=row["opted_out"],
            last_inbound_at=row["last_inbound_at"],
            created_at=row["created_at"],
        )


_COLUMNS = "id, phone, name, language, profile, opted_out, last_inbound_at, created_at"
CUSTOMER_SQL = f"SELECT {_COLUMNS} FROM customers WHERE id = %s"  # (customer id)


async def upsert_customer(
    conn: AsyncConnection[Any],
    phone: str,
    *,
    default_region: str,
    name: str | None = None,
    language: str | None = None,
    wa_id: str | None = None,
) -> Customer:
    """Find or create the customer for `phone` (any accepted form) on an open connection.

    A name or language given here fills in what is unknown; it never overwrites a known name.
    """
    e164 = normalize_phone(phone, default_region)
    row = await (
        await conn.execute(
            f"""INSERT INTO customers (phone, name, language, wa_id)
                VALUES (%s, %s, coalesce(%s, 'es'), %s)
                ON CONFLICT (phone) DO UPDATE SET
                    name = coalesce(customers.name, EXCLUDED.name),
                    wa_id = coalesce(EXCLUDED.wa_id, customers.wa_id),
                    updated_at = CASE WHEN customers.name IS NULL AND EXCLUDED.name IS NOT NULL
                                      THEN now() ELSE customers.updated_at END
                RETURNING {_COLUMNS}""",
            (e164, _clean_name(name), language, wa_id),
        )
    ).fetchone()
    assert row is not None
    return Customer.from_row(row)


async def get_or_create_customer(
    memory: Memory, phone: str, *, name: str | None = None, language: str | None = None
) -> Customer:
    """The customer for `phone`, created if new (`InvalidPhone` for a bad number)."""
    # Read first: on the voice path every live tool request looks its caller up, and an upsert
    # would write (and lock) the row each time, so concurrent tools of one caller queued on it.
    known = await find_customer_by_phone(memory, phone)
    if known is not None and (name is None or known.name is not None):
        return known
    async with memory.pool.connection() as conn:
        return await upsert_customer(
            conn,
            phone,
            default_region=memory.default_region,
            name=name,
            language=language or memory.default_language,
        )


async def get_customer(memory: Memory, customer_id: int) -> Customer:
    async with memory.pool.connection() as conn:
        row = await (await conn.execute(CUSTOMER_SQL, (customer_id,))).fetchone()
    if row is None:
        raise UnknownCustomer(f"no customer with id {customer_id}")
    return Customer.from_row(row)


async def find_customer_by_phone(memory: Memory, phone: str) -> Customer | None:
    """The customer with this phone (any accepted form), or None if there is none yet."""
    e164 = normalize_phone(phone, memory.default_region)
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(f"SELECT {_COLUMNS} FROM customers WHERE phone = %s", (e164,))
        ).fetchone()
    return Customer.from_row(row) if row else None


async def update_profile(memory: Memory, customer_id: int, changes: dict[str, Any]) -> Customer:
    """Merge `changes` into the customer's profile (only the known profile fields)."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"unknown profile fields: {sorted(unknown)}")
    clean = {k: v for k, v in changes.items() if v is not None and v != ""}
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                f"""UPDATE customers SET profile = profile || %s::jsonb, updated_at = now()
                    WHERE id = %s RETURNING {_COLUMNS}""",
                (jsonb(clean), customer_id),
            )
        ).fetchone()
    if row is None:
        raise UnknownCustomer(f"no customer with id {customer_id}")
    return Customer.from_row(row)


async def set_language(memory: Memory, customer_id: int, language: str) -> None:
    async with memory.pool.connection() as conn:
        await conn.execute(
            "UPDATE customers SET language = %s, updated_at = now() "
            "WHERE id = %s AND language <> %s",
            (language, customer_id, language),
        )


async def set_opted_out(memory: Memory, customer_id: int, opted_out: bool) -> bool:
    """Record an opt-out (or opt-in). Returns True when the state changed."""
    async with memory.pool.connection() as conn:
        cur = await conn.execute(
            """UPDATE customers SET opted_out = %s,
                      opted_out_at = CASE WHEN %s THEN now() ELSE NULL END,
                      updated_at = now()
               WHERE id = %s AND opted_out <> %s""",
            (opted_out, opted_out, customer_id, opted_out),
        )
        return cur.rowcount == 1


def _clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = " ".join(name.split())
    return name[:120] or None
