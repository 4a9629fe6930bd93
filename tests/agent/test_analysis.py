"""Call analysis finds the budget, the promised quote, the agreed callback and the open
question of a realistic sales call, resolves their dates, and stores them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from agent import build_agent, run_turn
from agent.analysis import analyze_and_store_call
from agent.models import build_model
from memory import (
    CallRecord,
    CallTurn,
    customer_context,
    get_customer,
    list_next_actions,
    save_call,
)
from tests.agent.conftest import ana_call, realistic_call
from tests.agent.fake_openai import FakeOpenAI, text

BOGOTA = ZoneInfo("America/Bogota")


async def analysed(memory, call, **kw):
    saved = await save_call(memory, call)
    return saved, await analyze_and_store_call(memory, saved, call, **kw)


async def test_realistic_call_budget_quote_callback_and_open_question(memory):
    saved, analysis = await analysed(memory, realistic_call())
    assert analysis.intent == "quote"
    assert analysis.budget == "18 millones"  # not the 380 mil electricity bill
    assert analysis.pending_questions == [
        "¿Y eso incluye el trámite del permiso con la electrificadora?"
    ]
    assert any("caro" in o for o in analysis.objections)
    assert any("esposo" in o for o in analysis.objections)
    assert {"precio", "financiación", "garantía"} <= set(analysis.topics)
    customer = await get_customer(memory, saved.customer.id)
    assert customer.profile == {"budget": "18 millones", "email": "marta.rincon@example.com"}


async def test_promises_become_dated_next_actions(memory):
    saved, _ = await analysed(memory, realistic_call())  # Friday 20 Nov 2026, 10:00 Bogotá
    actions = {a.type: a for a in await list_next_actions(memory, saved.customer.id) if a.due_at}
    quote, callback = actions["follow_up"], actions["call"]
    assert quote.description == "Enviar cotización formal por WhatsApp — jueves 26"
    assert "cotización formal el jueves" in quote.meta["detail"]  # the sentence, as evidence
    assert callback.description == (
        "Llamar el lunes 23 a las 10:00 para resolver las dudas que tengan"
    )
    assert quote.due_at.astimezone(BOGOTA).strftime("%a %d %H:%M") == "Thu 26 10:00"
    assert callback.due_at.astimezone(BOGOTA).strftime("%a %d %H:%M") == "Mon 23 10:00"


async def test_the_analysis_reaches_the_customer_context(memory):
    saved, _ = await analysed(memory, ana_call())
    context = await customer_context(memory, saved.customer.id)
    assert context.last_call and "Chía" in (context.last_call.summary or "")
    assert context.pending_questions == ["¿La instalación incluye el inversor?"]
    assert any("cotización el jueves" in s for s in context.agreed_next_steps)


async def test_elevenlabs_data_collection_fills_the_profile(memory):
    call = realistic_call()
    call.analysis = {
        "elevenlabs": {
            "call_successful": "success",
            "transcript_summary": "Marta quiere un sistema solar para su casa en Cajicá.",
            "data_collection_results": {
                "product_interest": {"data_collection_id": "product_interest", "value": "5 kW"},
                "budget": {"data_collection_id": "budget", "value": "18000000"},
                "favourite_colour": {"value": "azul"},
            },
        }
    }
    call.summary = call.analysis["elevenlabs"]["transcript_summary"]
    saved, analysis = await analysed(memory, call)
    assert analysis.summary == call.summary
    profile = (await get_customer(memory, saved.customer.id)).profile
    assert profile["product_interest"] == "5 kW" and profile["budget"] == "18000000"
    assert "favourite_colour" not in profile


async def test_with_an_llm_the_analysis_is_its_structured_output(settings, memory):
    answer = {
        "summary": "Ana quiere paneles; presupuesto 500 mil.",
        "intent": "quote",
        "topics": ["paneles solares"],
        "pending_questions": ["¿Incluye el inversor?"],
        "next_steps": ["Enviar la cotización el jueves a las 3 por WhatsApp"],
        "objections": [],
        "sentiment": "positive",
        "budget": "500 mil al mes",
        "product_interest": "paneles solares",
    }
    with FakeOpenAI(lambda body: text(json.dumps(answer, ensure_ascii=False))) as fake:
        s = settings.model_copy(
            update={"llm": "openai", "openai_api_key": "sk-test", "openai_base_url": fake.base_url}
        )
        saved, analysis = await analysed(memory, ana_call(), model=build_model(s))
    request = fake.requests[0]
    assert request["response_format"]["json_schema"]["name"] == "CallAnalysis"
    assert "Lo verifico con el equipo técnico" in request["messages"][0]["content"]
    assert analysis.pending_questions == ["¿Incluye el inversor?"]
    (step,) = [a for a in await list_next_actions(memory, saved.customer.id) if a.due_at]
    assert step.due_at.astimezone(BOGOTA).strftime("%a %H:%M") == "Thu 15:00"  # from its words
    assert step.description == "Enviar cotización por WhatsApp — jueves 26 a las 15:00"
    assert (await get_customer(memory, saved.customer.id)).profile["product_interest"] == (
        "paneles solares"
    )


async def test_an_llm_failure_falls_back_to_the_rules(settings, memory):
    with FakeOpenAI(lambda body: {"role": "assistant", "content": "esto no es JSON"}) as fake:
        s = settings.model_copy(
            update={"llm": "openai", "openai_api_key": "sk-test", "openai_base_url": fake.base_url}
        )
        saved, analysis = await analysed(memory, ana_call(), model=build_model(s))
    assert analysis.pending_questions == ["¿La instalación incluye el inversor?"]
    context = await customer_context(memory, saved.customer.id)
    assert context.pending_questions == analysis.pending_questions


async def test_a_recall_question_after_the_call_is_answered_from_it(settings, memory):
    saved, _ = await analysed(memory, realistic_call())
    agent = await build_agent(settings, memory)
    result = await run_turn(
        agent, saved.customer.id, "whatsapp", "¿Me recuerdas cuánta garantía tienen los paneles?"
    )
    assert "25 años" in (result.reply or "")


async def test_a_promise_dated_past_the_stored_range_is_kept_undated(memory):
    call = realistic_call()
    call.started_at = call.started_at.replace(year=2099, month=12, day=31)
    saved, analysis = await analysed(memory, call)
    actions = await list_next_actions(memory, saved.customer.id)
    assert len(actions) == len(analysis.next_steps) >= 2  # every promise kept …
    assert all(a.due_at is None or a.due_at.year == 2099 for a in actions)  # … none past 2099


async def test_with_an_llm_its_output_dates_the_steps_and_gives_the_email(settings, memory):
    step = "Llamar a Marta para repasar la cotización"  # no day in its words
    answer = {
        "summary": "Marta pide cotización.",
        "intent": "quote",
        "next_steps": [step],
        "due_dates": [{"step": step, "due": "2026-11-24T16:30:00", "kind": "call"}],
        "email": "marta@llm.example",
    }
    with FakeOpenAI(lambda body: text(json.dumps(answer, ensure_ascii=False))) as fake:
        s = settings.model_copy(
            update={"llm": "openai", "openai_api_key": "sk-test", "openai_base_url": fake.base_url}
        )
        saved, _ = await analysed(memory, realistic_call(), model=build_model(s))
    (action,) = await list_next_actions(memory, saved.customer.id)
    assert (action.type, action.due_at.astimezone(BOGOTA).strftime("%a %d %H:%M")) == (
        "call",
        "Tue 24 16:30",
    )
    assert action.description == "Llamar el martes 24 a las 16:30 para repasar la cotización"
    assert action.meta == {"detail": step}
    profile = (await get_customer(memory, saved.customer.id)).profile
    assert profile["email"] == "marta@llm.example"  # not the rules' reading of the transcript


async def analysed_by_llm(settings, memory, call, answer):
    """`call` analysed by ChatOpenAI against the fake server answering `answer` (over HTTP)."""
    content = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    with FakeOpenAI(lambda body: text(content)) as fake:
        s = settings.model_copy(
            update={"llm": "openai", "openai_api_key": "sk-test", "openai_base_url": fake.base_url}
        )
        saved, analysis = await analysed(memory, call, model=build_model(s))
    return saved, analysis, fake.requests[0]


async def test_with_an_llm_contact_details_and_due_dates_come_from_its_output(settings, memory):
    quote, call_back = "Enviar la cotización formal", "Llamar a Marta para resolver dudas"
    answer = {
        "summary": "Marta pide cotización.",
        "intent": "quote",
        "next_steps": [quote, call_back],
        "due_dates": [
            # Written with another offset: the business's time is what is stored and shown.
            {"step": quote, "due": "2026-11-26T20:00:00+00:00"},
            {"step": call_back.upper(), "due": "2026-11-23T09:30:00", "kind": "call"},
        ],
        "email": "marta@llm.example",
        "phone": "313 555 0101",
        "preferred_channel": "WhatsApp",
        "preferred_time": "entre semana en la mañana",
    }
    saved, _, request = await analysed_by_llm(settings, memory, realistic_call(), answer)
    schema = request["response_format"]["json_schema"]
    assert schema["name"] == "CallAnalysis"
    assert {"phone", "preferred_channel", "preferred_time", "due_dates"} <= set(
        schema["schema"]["properties"]
    )
    assert "America/Bogota" in request["messages"][0]["content"]  # the zone dates are read in
    actions = {a.type: a for a in await list_next_actions(memory, saved.customer.id)}
    shown = {k: a.due_at.astimezone(BOGOTA).strftime("%a %d %H:%M") for k, a in actions.items()}
    assert shown == {"follow_up": "Thu 26 15:00", "call": "Mon 23 09:30"}
    profile = (await get_customer(memory, saved.customer.id)).profile
    assert profile["email"] == "marta@llm.example"
    assert profile["contact_phone"] == "+573135550101"  # validated, in E.164
    assert (profile["preferred_channel"], profile["preferred_time"]) == (
        "whatsapp",
        "entre semana en la mañana",
    )
    # The model's next prompt has the contact details but never another number to write to.
    with FakeOpenAI(lambda body: text("Hola Marta")) as fake:
        s = settings.model_copy(
            update={"llm": "openai", "openai_api_key": "sk-test", "openai_base_url": fake.base_url}
        )
        agent = await build_agent(s, memory, model=build_model(s))
        await run_turn(agent, saved.customer.id, "whatsapp", "Hola")
    prompt = fake.requests[0]["messages"][0]["content"]
    assert "entre semana en la mañana" in prompt and "marta@llm.example" in prompt
    assert "3135550101" not in prompt


async def test_with_an_llm_fields_that_do_not_hold_give_way_to_the_rules(settings, memory):
    step = "Enviar la cotización formal el jueves por WhatsApp"
    answer = {
        "summary": "Marta pide cotización.",
        "intent": "quote",
        "next_steps": [step],
        "due_dates": [
            {"step": step, "due": "2026-11-02T10:00:00"},  # before the call (20 Nov)
            {"step": "Un paso que no está en next_steps", "due": "2026-12-01T10:00:00"},
        ],
        "email": "marta at gmail",  # not an address
        "phone": "12",  # not a number
        "preferred_channel": "paloma mensajera",  # not a channel of ours
    }
    saved, _, _ = await analysed_by_llm(settings, memory, realistic_call(), answer)
    (action,) = await list_next_actions(memory, saved.customer.id)
    # The date the rules read in the step's own words ("el jueves" after Friday 20 Nov).
    assert action.due_at.astimezone(BOGOTA).strftime("%a %d") == "Thu 26"
    profile = (await get_customer(memory, saved.customer.id)).profile
    assert profile["email"] == "marta.rincon@example.com"  # the rules' reading of the call
    assert not {"contact_phone", "preferred_channel"} & set(profile)
    async with memory.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT analysis FROM interactions WHERE id = %s", (saved.interaction_id,)
            )
        ).fetchone()
    hilo = row["analysis"]["hilo"]
    assert hilo["engine"] == "llm"
    assert {"email", "phone", "preferred_channel"} <= set(hilo["rules_fallback"])
    assert sum(f.startswith("due_dates") for f in hilo["rules_fallback"]) == 2


async def test_an_llm_answer_that_does_not_fit_the_schema_leaves_the_call_to_the_rules(
    settings, memory
):
    answer = {"summary": "Marta.", "intent": "quote", "due_dates": [{"step": "x", "due": "pronto"}]}
    saved, analysis, _ = await analysed_by_llm(settings, memory, realistic_call(), answer)
    assert analysis.budget == "18 millones"  # the rules' reading, whole
    actions = {a.type: a for a in await list_next_actions(memory, saved.customer.id) if a.due_at}
    assert actions["call"].due_at.astimezone(BOGOTA).strftime("%a %d %H:%M") == "Mon 23 10:00"
    profile = (await get_customer(memory, saved.customer.id)).profile
    assert profile["email"] == "marta.rincon@example.com"


def call_of(turns, language=None, conversation_id="conv_words"):
    """A call on Friday 20 November 2026, 10:00 in Bogotá."""
    return CallRecord(
        conversation_id=conversation_id,
        phone="+573001119999",
        turns=[CallTurn(role, words, i * 5.0) for i, (role, words) in enumerate(turns)],
        started_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        customer_name="Lucía",
        language=language,
    )


async def actions_of(memory, call):
    saved, _ = await analysed(memory, call)
    return await list_next_actions(memory, saved.customer.id)


async def test_a_promise_reads_as_a_short_imperative_with_its_day(memory):
    (quote, check) = sorted(await actions_of(memory, ana_call()), key=lambda a: a.due_at is None)
    assert quote.description == "Enviar cotización por WhatsApp — jueves 26"
    assert quote.meta == {
        "detail": "Perfecto. Te envío la cotización el jueves por WhatsApp.",
        "window": "day",
    }
    assert check.description == "Verificar con el equipo técnico y confirmar"


async def test_an_english_promise_reads_in_english(memory):
    call = call_of(
        [
            ("customer", "Could you send me the numbers in writing?"),
            ("agent", "Sure. I'll send the written quote by WhatsApp tomorrow."),
        ],
        language="en",
    )
    (action,) = await actions_of(memory, call)
    assert action.description == "Send the written quote on WhatsApp — Saturday 21"


async def test_a_callback_asked_at_6_pm_on_the_call_is_due_at_18(memory):
    call = call_of(
        [
            ("customer", "Ahora no puedo, llámenme el lunes a las 6 pm."),
            ("agent", "Listo, la llamamos el lunes en la tarde."),
        ]
    )
    (action,) = await actions_of(memory, call)
    assert action.type == "call"
    assert action.due_at.astimezone(BOGOTA).strftime("%a %d %H:%M") == "Mon 23 18:00"
    assert action.description == "Llamar el lunes 23 a las 18:00"
    assert action.meta == {"detail": "Listo, la llamamos el lunes en la tarde."}


async def test_a_morning_asked_on_the_call_stays_a_morning(memory):
    call = call_of(
        [
            ("customer", "¿Me pueden llamar el martes en la mañana?"),
            ("agent", "Claro, con gusto."),
        ]
    )
    (action,) = await actions_of(memory, call)
    assert action.description == "Llamar el martes 24 en la mañana"
    assert action.meta["window"] == "morning" and "10:00" not in action.description


async def test_a_callback_the_agent_turns_down_books_nothing(memory):
    call = call_of(
        [
            ("customer", "Llámenme el domingo a las 8."),
            ("agent", "Los domingos no trabajamos, ¿le sirve el lunes?"),
        ]
    )
    assert await actions_of(memory, call) == []
