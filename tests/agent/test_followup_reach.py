"""The post-call follow-up: only for a call that reached the customer, never to one who asked on
the call not to be written to, in the customer's language with the facts the agent stated when
no platform summary in that language came (stored through the real ingest path)."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.ingest import ingest_call, reached
from memory import CallRecord, CallTurn, get_customer
from memory.audit import outbound_messages
from tools.outbox import Console, Outbox


def _call(conversation_id: str, turns: list[tuple[str, str]], **kw) -> CallRecord:
    return CallRecord(
        conversation_id=conversation_id,
        phone=kw.pop("phone", "+573005550101"),
        turns=[CallTurn(r, t, i * 6.0) for i, (r, t) in enumerate(turns)],
        started_at=datetime(2026, 11, 27, 15, 0, tzinfo=UTC),
        **kw,
    )


def test_a_voicemail_or_a_failed_call_did_not_reach_the_customer() -> None:
    voicemail = _call(
        "c1",
        [
            ("agent", "Hola, le llamo de Lavandería Nube."),
            ("customer", "Deje su mensaje después del tono."),
        ],
    )
    assert not reached(voicemail)
    assert not reached(_call("c2", [("agent", "Hola, ¿me escucha?")]))
    assert not reached(_call("c3", [("customer", "Aló")], status="failed"))
    assert reached(_call("c4", [("customer", "Aló, sí, dígame.")]))


async def _ingest(memory, settings, call: CallRecord):
    return await ingest_call(memory, call, model=None, sender=Outbox(memory, Console(settings)))


async def test_no_follow_up_after_a_voicemail(memory, settings) -> None:
    call = _call(
        "conv_vm",
        [
            ("agent", "Hola, le llamo de Lavandería Nube."),
            ("customer", "El número que usted marcó no está disponible, deje su mensaje."),
        ],
    )
    ingested = await _ingest(memory, settings, call)
    assert ingested.followup_message_id is None
    assert not await outbound_messages(memory)


async def test_asked_on_the_call_not_to_be_written_to_opts_out(memory, settings) -> None:
    call = _call(
        "conv_no",
        [
            ("agent", "Buenas, le hablo de Fibra Norte por una oferta de internet."),
            ("customer", "No gracias, y por favor no me escriban por WhatsApp."),
            ("agent", "Entendido, disculpe."),
        ],
    )
    ingested = await _ingest(memory, settings, call)
    assert ingested.followup_message_id is None
    assert (await get_customer(memory, ingested.saved.customer.id)).opted_out


async def test_an_english_call_without_a_language_gets_an_english_follow_up_with_facts(
    memory, settings
) -> None:
    call = _call(
        "conv_en",
        [
            ("agent", "Hi, this is Harbor Storage returning your call."),
            ("customer", "Hi, I need a small unit for three months."),
            ("agent", "A small unit is 60 dollars a month and you can move in on Friday."),
            ("customer", "Great, thanks."),
        ],
        customer_name="Dana",
    )
    ingested = await _ingest(memory, settings, call)
    assert ingested.followup_message_id is not None
    (sent,) = await outbound_messages(memory)
    assert sent.text.startswith("Hi Dana!")
    assert "60 dollars a month" in sent.text and "Gracias" not in sent.text
