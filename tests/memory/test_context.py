"""`customer_context`: what a prompt knows about a customer, read in one call."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from memory import (
    add_insights,
    create_next_action,
    customer_context,
    get_or_create_customer,
    list_insights,
    open_escalation,
    record_call_analysis,
    resolve_escalation,
    resolve_insight,
    save_call,
    save_message,
    update_next_action,
)
from tests.memory.conftest import make_call


async def stored_call(memory):
    saved = await save_call(
        memory, make_call("conv_ctx", started_at=datetime.now(UTC) - timedelta(days=1))
    )
    await record_call_analysis(
        memory,
        saved.interaction_id,
        summary="Quiere paneles para bajar la factura; presupuesto 15 millones.",
        intent="quote_request",
        sentiment="positive",
    )
    await add_insights(
        memory,
        saved.customer.id,
        saved.interaction_id,
        [
            ("pending_question", "¿Los paneles aguantan granizo?"),
            ("pending_question", "¿Cuánto cuesta la batería?"),
            ("next_step", "Enviar la cotización al correo"),
            ("objection", "El precio le parece alto"),
            ("topic", "paneles solares"),
        ],
    )
    return saved


async def test_context_has_the_last_call_and_open_pending_questions(memory):
    saved = await stored_call(memory)
    battery = next(i for i in await list_insights(memory, saved.customer.id) if "batería" in i.text)
    await resolve_insight(memory, saved.customer.id, battery.id)

    context = await customer_context(memory, saved.customer.id)

    assert context.last_call is not None
    assert context.last_call.interaction_id == saved.interaction_id
    assert context.last_call.intent == "quote_request"
    assert context.pending_questions == ["¿Los paneles aguantan granizo?"]
    assert context.agreed_next_steps == ["Enviar la cotización al correo"]
    assert context.objections == ["El precio le parece alto"]
    assert context.topics == ["paneles solares"]


async def test_context_lists_only_open_next_actions_soonest_first(memory):
    saved = await stored_call(memory)
    customer_id = saved.customer.id
    now = datetime.now(UTC)
    later = await create_next_action(memory, customer_id, "Llamar", due_at=now + timedelta(days=3))
    sooner = await create_next_action(
        memory, customer_id, "Enviar cotización", due_at=now + timedelta(hours=2), priority="high"
    )
    done = await create_next_action(memory, customer_id, "Saludar")
    await update_next_action(memory, customer_id, done.id, status="done")

    context = await customer_context(memory, customer_id)

    assert [a.id for a in context.next_actions] == [sooner.id, later.id]
    assert context.next_actions[0].priority == "high"


async def test_context_shows_an_open_escalation_until_it_is_resolved(memory):
    saved = await stored_call(memory)
    escalation, _ = await open_escalation(
        memory, saved.customer.id, "Pide hablar con un supervisor", priority="urgent"
    )

    during = await customer_context(memory, saved.customer.id)
    await resolve_escalation(memory, escalation.id, resolution="Supervisor llamó")
    after = await customer_context(memory, saved.customer.id)

    assert during.human_owned
    assert during.escalation is not None
    assert (during.escalation.reason, during.escalation.priority) == (
        "Pide hablar con un supervisor",
        "urgent",
    )
    assert not after.human_owned and after.escalation is None


async def test_context_has_recent_messages_across_channels_oldest_first(memory):
    saved = await stored_call(memory)
    for text in ("¿Ya me enviaron la cotización?", "Gracias"):
        await save_message(
            memory,
            saved.customer.id,
            channel="whatsapp",
            direction="inbound",
            role="customer",
            text=text,
        )

    context = await customer_context(memory, saved.customer.id, recent=3)

    assert [(m.channel, m.text) for m in context.recent_messages] == [
        ("call", "Mi correo es ana.perez@example.com. Gracias."),
        ("whatsapp", "¿Ya me enviaron la cotización?"),
        ("whatsapp", "Gracias"),
    ]
    assert context.whatsapp_window_open


async def test_whatsapp_window_is_closed_without_an_inbound_message(memory):
    customer = await get_or_create_customer(memory, "+57 313 853 9155")
    await save_message(
        memory, customer.id, channel="whatsapp", direction="outbound", role="agent", text="Hola"
    )

    context = await customer_context(memory, customer.id)

    assert not context.whatsapp_window_open
    assert context.last_call is None


async def test_context_as_dict_is_json_for_prompts_and_tools(memory):
    saved = await stored_call(memory)
    await open_escalation(memory, saved.customer.id, "Queja")
    await create_next_action(memory, saved.customer.id, "Llamar el lunes")

    data = json.loads(json.dumps((await customer_context(memory, saved.customer.id)).as_dict()))

    assert data["phone"] == "+573138539155"
    assert data["last_call"]["summary"].startswith("Quiere paneles")
    assert data["pending_questions"] == [
        "¿Los paneles aguantan granizo?",
        "¿Cuánto cuesta la batería?",
    ]
    assert data["escalation"] == {"status": "open", "reason": "Queja"}
    assert [a["description"] for a in data["next_actions"]] == ["Llamar el lunes"]
    assert data["recent_messages"][-1]["channel"] == "call"
