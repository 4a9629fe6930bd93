"""Call analysis finds the budget, the promised quote and the open question, and stores them."""

from __future__ import annotations

from datetime import UTC, datetime

from agent import build_agent, run_turn
from agent.analysis import analyze_and_store_call
from memory import CallRecord, CallTurn, customer_context, list_next_actions, save_call
from tests.agent.conftest import CALL_TURNS


def make_call(summary: str | None = None) -> CallRecord:
    return CallRecord(
        conversation_id="conv_analysis",
        phone="+573001112244",
        turns=[CallTurn(r, t, i * 5.0) for i, (r, t) in enumerate(CALL_TURNS)],
        # Friday 20 Nov 2026, 10:00 in Bogotá
        started_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        customer_name="Ana",
        summary=summary,
    )


async def test_analysis_stores_pending_question_and_dated_next_step(memory):
    call = make_call()
    saved = await save_call(memory, call)
    analysis = await analyze_and_store_call(memory, saved, call)
    assert analysis.intent == "quote"
    assert any("inversor" in q for q in analysis.pending_questions)
    assert any("cotización" in s for s in analysis.next_steps)
    actions = await list_next_actions(memory, saved.customer.id)
    quote = [a for a in actions if "cotización" in a.description]
    assert quote and quote[0].due_at is not None
    assert quote[0].due_at.astimezone().weekday() == 3  # "el jueves": Thursday
    context = await customer_context(memory, saved.customer.id)
    assert context.last_call and context.last_call.summary
    assert any("inversor" in q for q in context.pending_questions)
    assert "precio" in context.topics


async def test_elevenlabs_summary_is_kept_and_used_for_recall_questions(settings, memory):
    call = make_call(summary="Ana pidió paneles para Chía con presupuesto de 500 mil al mes.")
    saved = await save_call(memory, call)
    await analyze_and_store_call(memory, saved, call)
    agent = await build_agent(settings, memory)
    result = await run_turn(
        agent, saved.customer.id, "whatsapp", "¿Me recuerdas lo que hablamos en la llamada?"
    )
    assert result.reply and ("500 mil" in result.reply or "Chía" in result.reply)


async def test_with_an_llm_the_analysis_is_its_structured_output(settings, memory):
    import json

    from agent.models import build_model
    from tests.agent.fake_openai import FakeOpenAI, text

    answer = {"summary": "Ana quiere paneles; presupuesto 500 mil.", "intent": "quote",
              "topics": ["paneles solares"], "pending_questions": ["¿Incluye el inversor?"],
              "next_steps": ["Enviar la cotización el jueves"], "objections": [],
              "sentiment": "positive"}

    def respond(body):
        assert "response_format" in body or "tools" in body
        return text(json.dumps(answer, ensure_ascii=False))

    call = make_call()
    saved = await save_call(memory, call)
    with FakeOpenAI(respond) as fake:
        s = settings.model_copy(update={"llm": "openai", "openai_api_key": "sk-test",
                                        "openai_base_url": fake.base_url})
        analysis = await analyze_and_store_call(memory, saved, call, model=build_model(s))
    assert analysis.pending_questions == ["¿Incluye el inversor?"]
    assert "CallAnalysis" in json.dumps(fake.requests[0].get("response_format", {})) or \
        fake.requests[0].get("tools")
    context = await customer_context(memory, saved.customer.id)
    assert context.last_call.summary == answer["summary"]
    assert context.pending_questions == ["¿Incluye el inversor?"]
