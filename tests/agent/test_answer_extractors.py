"""Question types, entity extractors and answer lines of the offline rules model."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agent.rules import answers
from agent.rules.entities import (
    entity_kinds,
    expand_shorthand,
    question_kinds,
    split_questions,
)
from agent.rules.intents import classify, fold
from agent.rules.policy import first_step
from agent.rules.when import format_when

BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=BOGOTA)  # a Wednesday


@pytest.fixture
def similar(embeddings):
    """Sentence similarity by the local embeddings, as the rules model gets it."""
    from agent.rules.nearest import IntentIndex

    return IntentIndex(embeddings).similarities


def _hit(text: str, channel: str = "call") -> dict:
    return {"text": text, "channel": channel, "date": "2026-11-30", "similarity": 0.1}


def test_question_type_is_the_kind_of_fact_asked() -> None:
    assert question_kinds(fold("¿a qué hora quedamos para la demo?")) == {"time"}
    assert question_kinds(fold("how often does the HubSpot sync run?")) == {"frequency"}
    assert question_kinds(fold("¿Cada cuánto pasa el camión?")) == {"frequency"}
    assert "amount" in question_kinds(fold("¿cuánto sale el trasteo?"))
    assert "duration" in question_kinds(fold("¿cuántas horas de ayuno necesita?"))


def test_entity_extractors_find_times_frequencies_and_amounts_in_a_line() -> None:
    assert "frequency" in entity_kinds(fold("La sincronización corre cada 15 minutos"))
    assert "time" in entity_kinds(fold("El camión llega a las 7 de la mañana"))
    assert "time" not in entity_kinds(fold("A mí me sirve el jueves"))
    assert "day" in entity_kinds(fold("A mí me sirve el jueves"))


def test_a_message_with_two_questions_is_split_into_both() -> None:
    assert split_questions("a que hora pasan por mi y cuanto es que sale al final?") == [
        "a que hora pasan por mi",
        "cuanto es que sale al final",
    ]
    assert len(split_questions("¿Cada cuánto sincroniza? ¿Y cuánto vale el plan?")) == 2
    assert split_questions("Pan y queso, y domingo") == ["Pan y queso, y domingo"]


def test_texting_shorthand_is_spelt_out_but_emails_are_not() -> None:
    assert expand_shorthand("a q hora x telefono") == "a que hora por telefono"
    assert expand_shorthand("mi correo es q@x.co") == "mi correo es q@x.co"


def test_the_agreed_time_answers_a_time_question_not_the_day_asked_for() -> None:
    hit = _hit(
        "Cliente: ¿Podemos ver una demo? A mí me sirve el jueves.\n"
        "Agente: El jueves tenemos espacio a las 3 de la tarde.\n"
        "Cliente: Sí, a las 3 está perfecto."
    )
    _, lines = answers.answer([hit], "¿a qué hora quedamos para la demo?")
    assert any("3" in line for line in lines)
    assert not any(line.endswith("me sirve el jueves.") for line in lines)


def test_our_price_answers_a_price_question_not_the_customers_budget() -> None:
    hit = _hit(
        "Cliente: El sábado 12. Yo tengo como 600 mil para eso.\n"
        "Agente: El trasteo completo le sale en 780 mil pesos."
    )
    _, lines = answers.answer([hit], "oe parce cuanto vale eso que me dijeron por telefono")
    assert lines == ["Agente: El trasteo completo le sale en 780 mil pesos."]


def test_hilos_own_written_replies_are_never_evidence() -> None:
    own = _hit(
        "Cliente: ¿Cuánto costaba?\nAgente: Según lo que hablamos: te dijimos «780 mil»",
        channel="whatsapp",
    )
    assert answers.evidence(own) == "Cliente: ¿Cuánto costaba?"
    call = _hit("Agente: El trasteo le sale en 780 mil pesos.")
    _, lines = answers.answer([own, call], "¿cuánto me dijeron que costaba?")
    assert lines == ["Agente: El trasteo le sale en 780 mil pesos."]


@pytest.mark.parametrize(
    "transcript, question, wanted",
    [
        (  # two kinds of fact: an amount and a time
            "Agente: El trasteo completo le sale en 780 mil pesos.\n"
            "Cliente: Bueno, dale. ¿A qué hora llegan?\n"
            "Agente: El camión llega a recogerle a las 7 de la mañana.",
            "a que hora pasan por mi y cuanto es que sale al final?",
            ("780", "7 de la"),
        ),
        (  # the same kind twice: each time on a line of its own
            "Agente: La van sale a las 6 de la mañana desde el hotel.\n"
            "Cliente: Bien.\n"
            "Agente: Y el regreso es a las 9 de la noche.",
            "a que hora sale la van y a que hora es el regreso?",
            ("6 de la", "9 de la"),
        ),
    ],
)
def test_each_question_of_a_message_gets_its_answer(
    transcript: str, question: str, wanted: tuple[str, ...]
) -> None:
    _, lines = answers.answer([_hit(transcript)], question)
    assert all(any(part in line for line in lines) for part in wanted)


def test_a_short_name_in_capitals_is_a_content_word() -> None:
    question = answers.Question("¿ya supieron lo de SAP?")
    assert "sap" in question.terms
    assert question.matched("¿Y se puede conectar con SAP?")[0] == {"sap"}


def test_a_callback_at_6_pm_is_booked_at_18_with_the_customers_words_as_reason() -> None:
    reading = classify("llámenme el lunes a las 6 pm", NOW)
    assert reading.when == datetime(2026, 12, 7, 18, 0, tzinfo=BOGOTA)
    (call,) = first_step(reading, "llámenme el lunes a las 6 pm", [], "es")
    assert call["name"] == "schedule_callback"
    assert call["args"]["when"] == "2026-12-07T18:00:00-05:00" and "window" not in call["args"]
    assert "«llámenme el lunes a las 6 pm»" in call["args"]["reason"]


def test_in_the_morning_is_kept_as_a_part_of_the_day_not_an_exact_time() -> None:
    reading = classify("¿Me pueden llamar el martes en la mañana?", NOW)
    assert reading.part_of_day == "morning"
    said = format_when(reading.when, "es", "America/Bogota", reading.part_of_day)
    assert said == "el martes 8 de diciembre en la mañana"
    assert format_when(reading.when, "en", "America/Bogota", "morning").endswith("in the morning")


def test_send_the_proposal_to_an_email_saves_it_and_creates_the_action() -> None:
    text = "Envíenme la propuesta a ana@nexo.co por favor"
    calls = first_step(classify(text, NOW), text, [], "es")
    assert ("update_customer_profile", {"email": "ana@nexo.co"}) in [
        (c["name"], c["args"]) for c in calls
    ]
    actions = [c["args"]["description"] for c in calls if c["name"] == "update_next_action"]
    assert actions == ["Enviar la propuesta a ana@nexo.co"]


def test_a_question_the_patterns_miss_is_answered_from_memory() -> None:
    assert classify("¿tienen aplicación para iPhone?", NOW).intent == "recall"
    assert classify("a q hora pasan por mi?", NOW).intent == "recall"


def test_a_reply_that_promises_to_check_creates_the_action_first() -> None:
    import json

    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from agent.rules.model import RulesChatModel

    model = RulesChatModel()
    text = "¿tienen aplicación para iPhone?"
    messages: list = [HumanMessage(content=text)]
    step = model.respond(messages)
    messages.append(step)
    for call in step.tool_calls:
        result = {"results": []} if call["name"] == "recall_conversations" else {}
        if call["name"] == "get_customer_context":
            result = {"last_call": {"summary": "Demo el jueves.", "date": "2026-11-30"}}
        messages.append(
            ToolMessage(content=json.dumps(result), tool_call_id=call["id"], name=call["name"])
        )
    promise = model.respond(messages)
    assert [c["name"] for c in promise.tool_calls] == ["update_next_action"]
    assert "iPhone" in promise.tool_calls[0]["args"]["description"]
    messages += [
        promise,
        ToolMessage(
            content=json.dumps({"created": {"id": 1, "description": "x", "due": None}}),
            tool_call_id=promise.tool_calls[0]["id"],
            name="update_next_action",
        ),
    ]
    reply = model.respond(messages)
    assert isinstance(reply, AIMessage) and not reply.tool_calls
    assert "consulto" in str(reply.content)


def test_six_in_the_afternoon_without_a_las_is_18_and_a_bare_day_gets_no_made_up_time() -> None:
    assert classify("llámenme el lunes tipo 6 de la tarde", NOW).when == datetime(
        2026, 12, 7, 18, 0, tzinfo=BOGOTA
    )
    reading = classify("llámenme el lunes", NOW)
    assert reading.part_of_day == "day"
    assert format_when(reading.when, "es", "America/Bogota", "day") == "el lunes 7 de diciembre"
    assert classify("llámenme en 2 horas", NOW).part_of_day is None


def test_chat_spelling_is_undone_before_reading() -> None:
    from agent.rules.entities import normalise_spelling

    assert normalise_spelling("buenass, a que horass salen los niñoss??") == (
        "buenas, a que horas salen los niños??"
    )
    assert normalise_spelling("holaaa siii") == "hola si"
    # Real double letters and addresses stay.
    assert normalise_spelling("carro leer ana.ss@correo.co") == "carro leer ana.ss@correo.co"


def test_plural_and_duration_questions_ask_the_right_kind() -> None:
    assert question_kinds(fold("Which days do you pick up the laundry?")) == {"day"}
    assert question_kinds(fold("¿en cuántos días entregan las fotos?")) == {"duration"}
    assert question_kinds(fold("¿y cuánto tarda?")) == {"duration"}
    assert question_kinds(fold("¿me recordás la dirección?")) == {"place"}


def test_a_fact_of_the_kind_asked_answers_with_half_the_topic_words() -> None:
    bakery = _hit(
        "Agente: Abrimos de lunes a sábado y el pan de masa madre sale a las 6 de la mañana.\n"
        "Cliente: Genial."
    )
    # Two of its three topic words ("masa madre", not "sacan") and a time: the answer.
    asked = "oye y a que hora sacan el pan de masa madre?"
    assert answers.relevant([bakery], asked, explicit=False)
    # An address asked: a street in a statement answers it.
    studio = _hit("Agente: Nos encuentras en la Carrera 7 número 45-10, segundo piso.")
    assert answers.relevant([studio], "me recordás la dirección?", explicit=False)
    # One generic word of three is not the topic asked: never discussed.
    solar = _hit("Agente: Los paneles le quedan en 18 millones de pesos instalados.")
    asked = "¿y cuánto cuesta el mantenimiento anual de los paneles?"
    assert not answers.relevant([solar], asked, explicit=False)


def test_a_follow_up_question_carries_the_topic_of_the_one_before() -> None:
    import json

    from langchain_core.messages import AIMessage, HumanMessage

    from agent.rules.model import RulesChatModel

    assert answers.elliptic("¿y cuánto tarda?")
    assert not answers.elliptic("¿cuánto cuesta la limpieza dental?")
    assert answers.topic_words("che, cuanto salía el alisado??") == ["alisado"]
    model = RulesChatModel()
    messages: list = [
        HumanMessage(content="che, cuanto salía el alisado??"),
        AIMessage(content="Te dijimos «45 mil»."),
        HumanMessage(content="y cuanto tarda?"),
    ]
    step = model.respond(messages)
    queries = [c["args"]["query"] for c in step.tool_calls if c["name"] == "recall_conversations"]
    assert queries and "alisado" in queries[0]
    assert json.dumps(queries)  # plain strings


def test_the_same_question_asked_on_the_call_in_other_words_finds_its_answer(similar) -> None:
    hotel = _hit(
        "Cliente: Tengo reserva para el viernes. ¿A qué hora es el check-in?\n"
        "Agente: El check-in es desde las 3 de la tarde y el desayuno va de 7 a 10.\n"
        "Cliente: ¿Y el parqueadero?\n"
        "Agente: El parqueadero cuesta 20 mil la noche."
    )
    asked = "a partir de que hora puedo entrar a la habitacion?"
    assert not answers.relevant([hotel], asked, explicit=False)  # no word of it in the call
    assert answers.relevant([hotel], asked, explicit=False, similar=similar) == [hotel]
    _, lines = answers.answer([hotel], asked, similar=similar)
    assert lines == ["Agente: El check-in es desde las 3 de la tarde y el desayuno va de 7 a 10."]
    # Another language: the Spanish answer to the English question.
    _, lines = answers.answer([hotel], "is parking included?", similar=similar)
    assert lines == ["Agente: El parqueadero cuesta 20 mil la noche."]
    # A question never asked on the call finds nothing by this route.
    assert answers.asked_before([hotel], "¿aceptan mascotas?", similar) is None


def test_a_deferred_answer_is_not_the_answer_to_the_same_question(similar) -> None:
    dental = _hit(
        "Cliente: ¿Lo cubre mi seguro de Sanitas?\n"
        "Agente: Eso lo verifico con una asesora y le digo."
    )
    assert answers.asked_before([dental], "¿mi aseguradora me lo paga?", similar) is None


def test_function_words_and_demonstratives_are_not_topic_words() -> None:
    assert answers.Question("y esas cuanto me dijiste que valian?").terms == set()
    assert answers.Question("and how long will it take?").terms == set()
    # … but a word that starts like one is still a topic word ("entregas", "afternoon").
    assert "envio" in answers.Question("¿hacen entregas los domingos?").terms  # a synonym group


def test_a_deadline_asks_a_date_and_an_ordinal_day_shows_one() -> None:
    assert question_kinds(fold("whats the deadline for the documents?")) == {"day"}
    assert question_kinds(fold("¿para qué fechas era la reserva?")) == {"day"}
    assert "day" in entity_kinds(fold("we need the statements by the 20th"))
    rental = _hit("Cliente: Necesito la camioneta del 10 al 15 de enero.\nAgente: Listo.")
    assert answers.relevant([rental], "para que fechas era que la pedí?", explicit=False)


def test_a_proposal_the_customer_agreed_to_is_the_agreed_fact() -> None:
    hit = _hit(
        "Agente: ¿Le sirve la valoración el jueves 10 a las 4 de la tarde en la sede norte?\n"
        "Cliente: Sí, ahí nos vemos.\n"
        "Agente: Recuerde venir en ayunas."
    )
    _, lines = answers.answer([hit], "oye y la valoración a qué hora era?")
    assert lines[0].startswith("Agente: ¿Le sirve la valoración el jueves 10 a las 4")


def test_an_answer_that_also_asks_to_confirm_something_else_leaves_nothing_pending() -> None:
    from agent.rules.calls import _defers

    assert not _defers(
        fold("Yes, the shuttle is 20 dollars each way. We need a deposit to confirm.")
    )
    assert _defers(fold("Sí, déjeme verificarlo con bodega y le confirmo."))
    assert _defers(fold("Eso lo consulto con el contador y le aviso."))


def test_a_clock_time_between_hours_and_vosotros_forms() -> None:
    from agent.optout import is_opt_out

    assert "time" in entity_kinds(fold("El maestro llega entre las 14 y las 16 horas"))
    assert is_opt_out("al final no, no me mandéis más mensajes")
    assert classify("No me llaméis más, que estoy currando").declines_calls


def test_send_to_an_email_on_a_day_keeps_the_day_and_every_thing_asked_for() -> None:
    text = "could you email the floor plan and the quote to ivan@casa.io on Thursday afternoon?"
    reading = classify(text, NOW)
    assert reading.send_what == "the floor plan and the quote"
    actions = [
        c["args"] for c in first_step(reading, text, [], "en") if c["name"] == "update_next_action"
    ]
    assert actions[0]["description"].startswith("Send the floor plan and the quote to ivan@casa.io")
    assert "Thursday" in actions[0]["description"] and actions[0]["due"].startswith("2026-12-03")


def test_a_fact_asked_about_booking_books_nothing() -> None:
    assert classify("¿cuánto cuesta apartar el salón?", NOW).intent == "quote"
    assert classify("y para reservar, ¿cuánto tiempo antes hay que avisar?", NOW).intent == "recall"
    assert classify("quiero reservar el salón para el sábado", NOW).intent == "schedule"


def test_a_kind_asked_is_answered_by_a_line_that_holds_one_not_the_greeting() -> None:
    hit = _hit(
        "Agente: Fletes Río, habla Marcos, por su mudanza.\n"
        "Agente: La mudanza la hacemos el martes 15 de diciembre desde las 7."
    )
    _, lines = answers.answer([hit], "che qué día era la mudanza?")
    assert lines == ["Agente: La mudanza la hacemos el martes 15 de diciembre desde las 7."]


def test_thanks_with_a_question_is_the_question() -> None:
    assert classify("¡Mil gracias! ¿y el depósito cuánto era?", NOW).intent == "recall"
    assert classify("thanks! and the fee?", NOW).intent == "recall"
    assert classify("Muchas gracias", NOW).intent == "thanks"


def test_a_run_on_voice_note_with_an_indirect_question_is_a_question_not_a_complaint() -> None:
    note = (
        "hola este quería saber a qué hora me toca la limpieza del jueves y también cuánto "
        "demora más o menos porque tengo que volver al trabajo"
    )
    assert classify(note, NOW).intent == "recall"
    assert classify("el pedido ya lleva una semana de demora", NOW).intent == "complaint"
    assert classify("I wanted to know when the tasting is", NOW).intent == "recall"


def test_two_words_found_do_not_answer_when_more_of_the_question_is_missing() -> None:
    hit = _hit(
        "Agente: Le llamo por la lavadora que no centrifuga.\n"
        "Agente: Si es la correa, el cambio de la correa sale en 45 mil pesos."
    )
    asked = "y si hay que cambiar la lavadora completa, cuánto vale una nueva con instalación?"
    assert not answers.relevant([hit], asked, explicit=False)
    assert answers.relevant([hit], "cuánto sale el cambio de la correa?", explicit=False)


def test_whether_something_is_ready_asks_when() -> None:
    assert question_kinds(fold("¿ya están listas las llantas?")) == {"day"}
    assert question_kinds(fold("is my laptop ready yet?")) == {"day"}
    assert question_kinds(fold("Listo, gracias")) == set()


def test_words_around_the_question_count_half() -> None:
    question = answers.Question("Te mando la foto del recibo, ¿ya está listo el vestido?")
    assert {"recib", "fot"} <= question.context
    assert question.focus == {"vest"}  # "vestido", stemmed
    assert question.weight("recib") == 0.5 and question.weight("vest") == 1.0
    # A question alone has no words around it.
    assert answers.Question("¿cuánto sale el vestido?").context == set()


def test_a_limit_asked_meets_a_limit_said_in_other_words() -> None:
    # "máximo" / "tope" / "no puede superar" / "limit" are one term (synonyms.jsonl).
    question = answers.Question("¿cuánto es lo máximo que me pueden cobrar de mora?")
    line = "Agente: La mora no puede superar el 2 por ciento mensual."
    assert "limit" in question.matched(line)[0]
    assert "limit" in answers.Question("what's the maximum late fee?").terms


def test_a_question_of_a_message_nothing_answers_is_returned_unanswered() -> None:
    hit = _hit(
        "Agente: Su cuidadora será Lucía, desde el lunes.\n"
        "Cliente: Perfecto.\n"
        "Agente: Ella le ayuda con las comidas y los medicamentos."
    )
    _, lines, unanswered = answers.answer_parts(
        [hit], "¿Lucía le ayuda con los medicamentos? ¿y hacen guardias nocturnas?"
    )
    assert any("medicamentos" in line for line in lines)
    assert unanswered == ["y hacen guardias nocturnas"]


def test_the_reply_to_the_same_question_asked_on_the_call_answers_it(similar) -> None:
    hit = _hit(
        "Agente: Le cambiamos el calentador por uno de 40 litros, 6.500 pesos instalado.\n"
        "Cliente: ¿Y cuánto de garantía?\n"
        "Agente: Tres años de garantía de fábrica."
    )
    _, lines = answers.answer(
        [hit],
        "mira la foto del viejo, ¿cuanta garantía me dijeron que tenia el nuevo?",
        None,
        similar,
    )
    assert lines and "Tres años" in lines[0]
