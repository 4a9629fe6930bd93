"""The agent (rules model) answers from memory, keeps its guards, and keeps its thread."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from agent import build_agent, run_turn
from agent.state import WINDOW
from memory import (
    current_escalation,
    get_customer,
    list_next_actions,
    open_escalation,
    save_message,
    set_opted_out,
    timeline,
)
from tests.agent.conftest import RecordingNotifier, tool_names

BOGOTA = ZoneInfo("America/Bogota")


async def test_recalls_the_budget_from_the_call(agent, call_customer):
    result = await run_turn(
        agent, call_customer.id, "whatsapp", "¿Me recuerdas cuánto te dije que podíamos pagar?"
    )
    assert "500 mil" in (result.reply or "")
    assert tool_names(result)[0] == "recall_conversations"
    assert any(h["first_seq"] <= 3 <= h["last_seq"] for h in result.recalled)


async def test_answers_in_english_and_remembers_the_language(agent, call_customer):
    result = await run_turn(
        agent, call_customer.id, "whatsapp", "Can you remind me how much I said we could pay?"
    )
    assert "From what we discussed" in (result.reply or "") and "500 mil" in (result.reply or "")
    assert (await get_customer(agent.memory, call_customer.id)).language == "en"


async def test_unknown_fact_is_not_invented(agent, call_customer):
    result = await run_turn(
        agent, call_customer.id, "whatsapp", "¿Cuál es la garantía de los paneles?"
    )
    # Said plainly, and checked: the promise has its next action behind it.
    assert "no lo hemos hablado" in (result.reply or "")
    assert "500" not in (result.reply or "")
    assert "update_next_action" in tool_names(result)


async def test_pending_question_and_promised_quote_come_from_the_analysed_call(
    agent, analysed_customer
):
    result = await run_turn(agent, analysed_customer.id, "whatsapp", "¿Qué pasó con la cotización?")
    reply = result.reply or ""
    assert "cotización" in reply and "jueves 26 de noviembre" in reply
    assert "inversor" in reply  # the question left open on the call


async def test_reply_is_stored_as_pending_whatsapp_message(agent, call_customer):
    result = await run_turn(agent, call_customer.id, "whatsapp", "Hola")
    messages = await timeline(agent.memory, call_customer.id)
    assert messages[-1].id == result.reply_message_id
    assert (messages[-1].role, messages[-1].delivery_status) == ("agent", "pending")
    assert messages[-1].meta["in_reply_to"] == result.inbound_message_id == messages[-2].id


async def test_duplicate_inbound_gets_no_second_reply(agent, call_customer):
    first = await run_turn(agent, call_customer.id, "whatsapp", "Hola", external_id="SM1")
    second = await run_turn(agent, call_customer.id, "whatsapp", "Hola", external_id="SM1")
    assert first.reply and second.reply is None and second.skipped == "duplicate"
    assert second.reply_message_id == first.reply_message_id  # the caller may re-queue its send
    stored = await timeline(agent.memory, call_customer.id)
    assert [m.role for m in stored if m.channel == "whatsapp"] == ["customer", "agent"]


async def test_a_message_stored_by_an_interrupted_attempt_is_answered_on_retry(
    agent, call_customer
):
    # An earlier attempt stored the inbound message, then its process died before answering.
    await save_message(
        agent.memory,
        call_customer.id,
        channel="whatsapp",
        direction="inbound",
        role="customer",
        text="Hola",
        external_id="SM2",
    )
    retried = await run_turn(agent, call_customer.id, "whatsapp", "Hola", external_id="SM2")
    assert retried.reply and retried.skipped is None and retried.reply_message_id


async def test_callback_request_schedules_a_call_in_local_time(agent, call_customer):
    result = await run_turn(
        agent, call_customer.id, "whatsapp", "¿Me pueden llamar mañana a las 10?"
    )
    calls = [a for a in await list_next_actions(agent.memory, call_customer.id) if a.type == "call"]
    assert len(calls) == 1 and calls[0].due_at is not None
    assert calls[0].due_at.astimezone(BOGOTA).hour == 10
    assert "llamaremos" in (result.reply or "") and "10:00" in (result.reply or "")


async def test_rescheduling_moves_the_open_appointment(agent, call_customer):
    await run_turn(agent, call_customer.id, "whatsapp", "Agendemos la visita el jueves a las 3")
    (booked,) = [a for a in await list_next_actions(agent.memory, call_customer.id) if a.due_at]
    thursday = booked.due_at.astimezone(BOGOTA)
    # What the operator reads names the day and time asked for, in the customer's language.
    assert booked.description == f"Cita pedida por el cliente el jueves {thursday.day} a las 15:00"
    moved = await run_turn(
        agent, call_customer.id, "whatsapp", "Necesito cambiar la cita para el viernes a las 10"
    )
    assert tool_names(moved) == ["get_customer_context", "update_next_action"]
    visits = [a for a in await list_next_actions(agent.memory, call_customer.id) if a.due_at]
    assert len(visits) == 1
    due = visits[0].due_at.astimezone(BOGOTA)
    assert (due.weekday(), due.hour) == (4, 10)  # Friday, 10:00
    # The day in the text moved with it; the customer's words kept, marked as theirs.
    assert visits[0].description == (
        f"Cita pedida por el cliente el viernes {due.day} a las 10:00 (el cliente pidió moverla: "
        "«Necesito cambiar la cita para el viernes a las 10»)"
    )
    assert "viernes" in (moved.reply or "") and "Cita" not in (moved.reply or "")


async def test_request_for_a_person_hands_the_thread_to_humans(settings, memory, call_customer):
    notifier = RecordingNotifier()
    agent = await build_agent(settings, memory, notifier=notifier)
    result = await run_turn(agent, call_customer.id, "whatsapp", "Quiero hablar con una persona")
    assert result.escalated and "persona de nuestro equipo" in (result.reply or "")
    assert [e.customer_id for e in notifier.opened] == [call_customer.id]
    after = await run_turn(agent, call_customer.id, "whatsapp", "¿hola?")
    assert after.reply is None and after.skipped == "human_owned" and after.escalated
    stored = await timeline(memory, call_customer.id)
    assert stored[-1].text == "¿hola?" and stored[-1].role == "customer"


async def test_repeated_frustration_escalates_with_high_priority(agent, call_customer):
    await run_turn(agent, call_customer.id, "whatsapp", "Tengo un problema, no me ha llegado nada")
    result = await run_turn(agent, call_customer.id, "whatsapp", "Sigue el problema, no funciona")
    escalation = await current_escalation(agent.memory, call_customer.id)
    assert result.escalated and escalation is not None and escalation.priority == "high"


async def test_opted_out_customer_gets_no_ai_reply(agent, call_customer):
    stop = await run_turn(agent, call_customer.id, "whatsapp", "No me escriban más")
    assert stop.opted_out and stop.reply  # the confirmation is the last automated message
    assert (await get_customer(agent.memory, call_customer.id)).opted_out
    later = await run_turn(agent, call_customer.id, "whatsapp", "¿Cuánto cuesta?")
    assert later.reply is None and later.skipped == "opted_out" and later.reply_message_id is None
    back = await run_turn(agent, call_customer.id, "whatsapp", "START")
    assert back.reply and not back.opted_out


async def test_human_owned_thread_set_by_an_operator_gets_no_ai_reply(agent, call_customer):
    await open_escalation(agent.memory, call_customer.id, "revisión manual", opened_by="operator")
    result = await run_turn(agent, call_customer.id, "whatsapp", "¿Cuánto cuesta?")
    assert result.reply is None and result.skipped == "human_owned"
    assert result.tool_calls == []


async def test_voice_request_sends_a_whatsapp_recap_to_the_caller(agent, analysed_customer):
    result = await run_turn(agent, analysed_customer.id, "voice", "Mándame eso por WhatsApp")
    assert tool_names(result) == ["get_customer_context", "send_whatsapp"]
    assert "WhatsApp" in (result.reply or "") and result.reply_message_id is None  # spoken
    sent = [
        m for m in await timeline(agent.memory, analysed_customer.id) if m.channel == "whatsapp"
    ]
    assert len(sent) == 1 and "Chía" in sent[0].text and sent[0].delivery_status == "console"


async def test_voice_request_for_whatsapp_honours_the_opt_out(agent, analysed_customer):
    await set_opted_out(agent.memory, analysed_customer.id, True)
    result = await run_turn(agent, analysed_customer.id, "voice", "Send me the details on WhatsApp")
    assert tool_names(result) == ["get_customer_context", "send_whatsapp"]
    assert "error" in result.tool_calls[-1]["result"] and "START" in (result.reply or "")
    whatsapp = [
        m for m in await timeline(agent.memory, analysed_customer.id) if m.channel == "whatsapp"
    ]
    assert whatsapp == []


async def test_the_checkpointed_window_stays_bounded(agent, call_customer):
    for i in range(12):
        await run_turn(
            agent, call_customer.id, "whatsapp", f"¿Me recuerdas lo del presupuesto? {i}"
        )
    state = await agent.graph.aget_state({"configurable": {"thread_id": str(call_customer.id)}})
    said = [str(m.content) for m in state.values["messages"]]
    assert len(said) <= WINDOW
    assert any(t.endswith("? 11") for t in said) and not any(t.endswith("? 0") for t in said)


async def test_no_more_calls_is_recorded_and_whatsapp_goes_on(agent, call_customer):
    result = await run_turn(
        agent,
        call_customer.id,
        "whatsapp",
        "No me llamen más, por favor, que en el trabajo no puedo contestar. Escríbanme por aquí.",
    )
    assert tool_names(result) == ["update_customer_profile"]
    assert "no te volveremos a llamar" in (result.reply or "")
    customer = await get_customer(agent.memory, call_customer.id)
    assert customer.profile["calls"] == "declined" and not customer.opted_out
    later = await run_turn(
        agent, call_customer.id, "whatsapp", "¿Cuánto te dije que podíamos pagar?"
    )
    assert "500 mil" in (later.reply or "")  # still answered on WhatsApp


async def test_opting_back_in_with_a_question_gets_the_question_answered(agent, call_customer):
    await set_opted_out(agent.memory, call_customer.id, True)
    text = "Quiero volver a recibir mensajes. ¿Me recuerdas cuánto te dije que podíamos pagar?"
    result = await run_turn(agent, call_customer.id, "whatsapp", text)
    assert not (await get_customer(agent.memory, call_customer.id)).opted_out
    assert "500 mil" in (result.reply or "")


async def test_a_bare_baja_naming_an_option_we_offered_is_that_choice(agent, call_customer):
    await save_message(
        agent.memory,
        call_customer.id,
        channel="whatsapp",
        direction="outbound",
        role="agent",
        text="El colchón viene en dos firmezas, alta y baja. La baja es más suave.",
    )
    result = await run_turn(agent, call_customer.id, "whatsapp", "Baja 👍")
    assert not (await get_customer(agent.memory, call_customer.id)).opted_out
    assert "«Baja 👍»" in (result.reply or "")
    actions = await list_next_actions(agent.memory, call_customer.id)
    assert any("eligió «Baja 👍»" in a.description for a in actions)
