"""Eval cases through the LLM path: ChatOpenAI against the local fake OpenAI server whose
answers are the rules model's, read from the HTTP request alone (`evals.fake_llm`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from agent.analysis import analyze_with_rules, read_call_analysis
from agent.models import build_model
from agent.prompt import system_prompt_text
from config import Settings
from evals.cases import load_cases
from evals.fake_llm import FakeOpenAIServer, RulesBrain, fake_openai_settings
from evals.runner import Evaluator
from memory.embeddings import shared_local_embeddings
from tests.agent.conftest import realistic_call

DATASETS = sorted(Path("evals/datasets").glob("*.jsonl"))
CASES = [
    "llamada-callback-manana-802",  # "en la mañana" on the call: a window, through the analysis
    "en-inverter-warranty-602",  # English, answered from recall
    "multi-dental-cambios-506",  # several turns on one thread
    "seguridad-vecina-presupuesto-202",  # another customer's call loaded first: no leak
]


@pytest.fixture(scope="module")
def fake_server() -> AsyncIterator[FakeOpenAIServer]:
    with FakeOpenAIServer(RulesBrain(shared_local_embeddings())) as server:
        yield server  # type: ignore[misc]


@pytest.fixture(scope="module")
async def fake_evaluator(
    fake_server: FakeOpenAIServer, pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Evaluator]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=Path(tmp_path_factory.mktemp("hilo")),
        llm="rules",
    )
    evaluator = await Evaluator.start(
        fake_openai_settings(settings, fake_server.base_url), admin_url=pg_admin_url
    )
    yield evaluator
    evaluator.close()


async def test_eval_cases_pass_through_the_llm_path(fake_evaluator, fake_server):
    assert fake_evaluator.model.__class__.__name__ == "ChatOpenAI"
    before = dict(fake_server.brain.answered)
    for case in load_cases(DATASETS, only=CASES):
        outcome = await fake_evaluator.run_case(case)
        checks = [c for t in outcome.turns for c in t.checks]
        assert outcome.passed, (case.id, outcome.error, checks)
    answered = fake_server.brain.answered
    # Every call was analysed through structured output, every turn through the HTTP API.
    assert answered["CallAnalysis"] - before.get("CallAnalysis", 0) == len(CASES) + 1
    assert answered["turn"] - before.get("turn", 0) >= 2 * len(CASES)


async def test_the_analysis_prompt_carries_what_the_rules_read_of_the_call(fake_server, settings):
    model = build_model(fake_openai_settings(settings, fake_server.base_url))
    call = realistic_call()
    readout = await read_call_analysis(model, call)
    assert (readout.engine, readout.rules_fallback) == ("llm", [])
    _, reading = analyze_with_rules(call)
    assert [(s.text, s.due, s.kind, s.part) for s in readout.steps] == [
        (s.text, s.due, s.kind, s.part) for s in reading.steps
    ]
    assert readout.email == reading.email == "marta.rincon@example.com"
    assert readout.analysis.summary.startswith("Marta")  # the name is in the prompt


def test_the_brain_reads_only_the_request(fake_server):
    system = system_prompt_text({}, channel="whatsapp", language="en", timezone="Europe/Madrid")
    body = {
        "model": "x",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": "Hi"}],
    }
    url = fake_server.base_url + "/chat/completions"
    answer = httpx.post(url, json=body, timeout=30).json()["choices"][0]["message"]
    assert answer["content"] and not answer.get("tool_calls")
    # The prompt without its language line: the brain has no other way to know it.
    body["messages"][0]["content"] = "\n".join(
        line for line in system.splitlines() if not line.startswith("Language:")
    )
    refused = httpx.post(url, json=body, timeout=30)
    assert refused.status_code == 400 and "language" in json.dumps(refused.json())


def test_the_brain_reads_what_came_with_the_message_from_the_prompt_alone():
    import prompts
    from evals.fake_llm import attachments

    for language, kinds in (("es", "imagen, documento"), ("en", "image")):
        system = "…\n\n" + prompts.message("attachment_note", language, kinds=kinds)
        assert attachments(system) == tuple(k.strip() for k in kinds.split(","))
    assert attachments("a prompt without an attachment note") == ()
