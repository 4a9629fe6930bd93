"""Each eval check catches what it claims: cases built to fail exactly one check fail on it,
and the well-built twin of each passes. The runner goes through the real ingest and turn code
on databases cloned from a template on the test session's PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from evals.cases import Case
from evals.checks import CaseOutcome
from evals.metrics import summarize
from evals.runner import Evaluator

PHONE, OTHER = "+573131000001", "+573009998877"

CALL: dict[str, Any] = {
    "type": "post_call_transcription",
    "event_timestamp": 1764000000,
    "data": {
        "agent_id": "agent_eval",
        "conversation_id": "conv_eval_checks",
        "status": "done",
        "transcript": [
            {
                "role": "agent",
                "message": "Hola Alejandro, le hablo de Sol Andino por los paneles solares.",
                "time_in_call_secs": 0,
            },
            {
                "role": "user",
                "message": "Sí, hola. Estamos mirando opciones para la casa en Chía.",
                "time_in_call_secs": 5,
            },
            {
                "role": "agent",
                "message": "¿Qué presupuesto tienen pensado para el sistema?",
                "time_in_call_secs": 9,
            },
            {
                "role": "user",
                "message": "Podemos pagar hasta 500 dólares al mes, no más.",
                "time_in_call_secs": 14,
            },
            {
                "role": "agent",
                "message": "Perfecto, le preparo una cotización con esa cuota y se la envío.",
                "time_in_call_secs": 20,
            },
            {
                "role": "user",
                "message": "Bueno, mándeme la cotización por WhatsApp.",
                "time_in_call_secs": 25,
            },
        ],
        "metadata": {
            "start_time_unix_secs": 1764000000,
            "call_duration_secs": 30,
            "phone_call": {"type": "twilio", "direction": "outbound", "external_number": PHONE},
        },
        "analysis": {
            "transcript_summary": (
                "Alejandro quiere paneles para su casa en Chía; puede pagar 500 dólares "
                "al mes; pidió una cotización."
            )
        },
    },
}
BUDGET = "¿me recuerdas cuánto te dije que podíamos pagar?"
MORNING = "¿Me pueden llamar el martes en la mañana?"
# The board shows the window, not the 10:00 stored for it.
WINDOW_KEPT = {"contains_any": ["martes", "Llamar el"], "not_contains": ["10:00"]}


def case(case_id: str, turns: list[dict[str, Any]], **extra: Any) -> Case:
    body: dict[str, Any] = {
        "id": case_id,
        "customer": {"phone": PHONE, "name": "Alejandro"},
        "call": copy.deepcopy(CALL),
        "turns": turns,
    }
    body.update(extra)
    return Case.model_validate(body)


# (case, the checks it must fail; empty: it must pass)
CASES: list[tuple[Case, set[str]]] = [
    (
        case(
            "well_built",
            [
                {
                    "customer": BUDGET,
                    "evidence": [3],
                    "expect": {
                        "tools": ["recall_conversations"],
                        "forbidden_tools": ["send_whatsapp"],
                        "mentions_any": [["500", "quinientos"]],
                        "must_not_mention": ["800"],
                        "no_message_to": [OTHER],
                    },
                }
            ],
            followup={"mentions_any": [["Alejandro"]]},
            others=[{"customer": {"phone": OTHER, "name": "Beatriz Gómez"}, "call": None}],
        ),
        set(),
    ),
    (
        case("fails_mentions", [{"customer": BUDGET, "expect": {"mentions_any": [["800"]]}}]),
        {"mentions"},
    ),
    (
        case(
            "fails_must_not_mention",
            [{"customer": BUDGET, "expect": {"must_not_mention": ["500"]}}],
        ),
        {"must_not_mention"},
    ),
    (
        case("fails_tools", [{"customer": BUDGET, "expect": {"tools": ["schedule_callback"]}}]),
        {"tools"},
    ),
    (
        case(
            "fails_forbidden_tools",
            [{"customer": BUDGET, "expect": {"forbidden_tools": ["recall_conversations"]}}],
        ),
        {"forbidden_tools"},
    ),
    (
        case("fails_escalate", [{"customer": "Quiero hablar con una persona, por favor"}]),
        {"escalate"},
    ),
    (case("fails_no_reply", [{"customer": BUDGET, "expect": {"no_reply": True}}]), {"no_reply"}),
    (
        case(
            "fails_reply",
            [
                {
                    "customer": "Quiero hablar con una persona, por favor",
                    "expect": {"escalate": True},
                },
                {"customer": "¿hola?", "expect": {"escalate": True}},
            ],
        ),
        {"reply"},
    ),
    (case("fails_opt_out", [{"customer": "BAJA"}]), {"opt_out"}),
    (
        case(
            "fails_next_action",
            [{"customer": BUDGET, "expect": {"next_action": {"contains_any": ["viaje a marte"]}}}],
        ),
        {"next_action"},
    ),
    (
        case(
            "morning_callback_read_as_shown",
            [{"customer": MORNING, "expect": {"next_action": WINDOW_KEPT}}],
        ),
        set(),
    ),
    (
        case(
            "fails_next_action_not",
            [
                {
                    "customer": MORNING,
                    "expect": {
                        "next_action": {"contains_any": ["llamar"], "not_contains": ["mañana"]}
                    },
                }
            ],
        ),
        {"next_action_not"},
    ),
    (
        case("fails_followup_mentions", [], followup={"mentions_any": [["Medellín"]]}),
        {"followup_mentions"},
    ),
    (case("fails_followup_not_sent", [], followup={"sent": False}), {"followup_not_sent"}),
    (
        case(
            "fails_followup_sent",
            [],
            customer={"phone": PHONE, "name": "Alejandro", "opted_out": True},
            followup={"sent": True},
        ),
        {"followup_sent"},
    ),
    (
        case("fails_wrong_recipient", [{"customer": BUDGET, "expect": {"no_message_to": [PHONE]}}]),
        {"wrong_recipient"},
    ),
]


def failed_checks(outcome: CaseOutcome) -> set[str]:
    assert outcome.error is None, outcome.error
    return {c.name for c in outcome.all_checks() if not c.passed}


@pytest.mark.parametrize(("built", "failing"), CASES, ids=[c.id for c, _ in CASES])
async def test_each_check_catches_what_it_claims(
    evaluator: Evaluator, built: Case, failing: set[str]
) -> None:
    outcome = await evaluator.run_case(built)
    assert failed_checks(outcome) == failing, [
        (c.name, c.detail) for c in outcome.all_checks() if not c.passed
    ]


async def test_retrieval_recall_counts_only_the_evidence_turns_recalled(
    evaluator: Evaluator,
) -> None:
    call = copy.deepcopy(CALL)
    filler = [
        "El techo es de teja de barro y mide unos ochenta metros cuadrados.",
        "Los fines de semana viajamos a la finca de mis suegros.",
        "Mi hijo estudia ingeniería eléctrica en la Nacional.",
        "El perro se llama Tobías y ladra cuando llega el cartero.",
    ]
    for i in range(16):
        role = "agent" if i % 2 else "user"
        call["data"]["transcript"].append(
            {"role": role, "message": filler[i % 4], "time_in_call_secs": 30 + i}
        )
    right = case("evidence_right", [{"customer": BUDGET, "evidence": [3]}], call=call)
    # Filler turns in the middle: their windows repeat others word for word, so none of them
    # reaches the top 3 by chance (the short last window, 20-21, can: nothing else is close).
    wrong = case("evidence_elsewhere", [{"customer": BUDGET, "evidence": [12, 13]}], call=call)
    outcomes = [await evaluator.run_case(right), await evaluator.run_case(wrong)]
    assert outcomes[0].turns[0].recall_at_k == 1.0
    assert outcomes[1].turns[0].recall_at_k is not None and outcomes[1].turns[0].recall_at_k < 1.0
    summary = summarize([right, wrong], outcomes)
    assert summary["retrieval_turns"] == 2
    assert summary["retrieval_recall_at_3"] < 1.0


async def test_leak_check_flags_another_customers_name_sent_to_this_one(
    evaluator: Evaluator,
) -> None:
    # The customer's own call names the other customer, and the follow-up repeats its summary:
    # the detector is deliberately conservative and flags any full name of another customer.
    call = copy.deepcopy(CALL)
    call["data"]["transcript"][1]["message"] = (
        "Sí, hola. Me recomendó mi vecina Beatriz Gómez, ella ya tiene los paneles."
    )
    call["data"]["analysis"]["transcript_summary"] = (
        "Alejandro, recomendado por su vecina Beatriz Gómez, quiere paneles para su casa."
    )
    built = case(
        "leak_by_name",
        [{"customer": "¿quién te dije que me recomendó?"}],
        call=call,
        others=[{"customer": {"phone": OTHER, "name": "Beatriz Gómez"}, "call": None}],
    )
    outcome = await evaluator.run_case(built)
    assert outcome.leak_violations >= 1, outcome.followup
    assert "no_leak" in failed_checks(outcome)


async def test_case_crash_is_a_failed_case_with_its_error(evaluator: Evaluator) -> None:
    call = copy.deepcopy(CALL)
    call["data"]["metadata"]["phone_call"]["external_number"] = "not a phone"
    call["data"].pop("conversation_initiation_client_data", None)
    outcome = await evaluator.run_case(case("bad_call", [], call=call))
    assert outcome.error is not None and not outcome.passed
