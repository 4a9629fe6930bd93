"""The optional LLM judge grades each answered turn through ChatOpenAI (a local fake OpenAI
server here), and its scores reach the summary."""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from agent.models import build_model
from config import Settings
from evals.judge import judge_outcome, judge_summary
from evals.runner import Evaluator
from tests.agent.fake_openai import FakeOpenAI, text
from tests.evals.test_checks_catch import BUDGET, case


async def test_judge_grades_answered_turns(evaluator: Evaluator) -> None:
    def grade(body: dict[str, Any]) -> dict[str, Any]:
        return text(json.dumps({"helpfulness": 4, "groundedness": 5, "reason": "cites the call"}))

    fake = FakeOpenAI(grade).start()
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            llm="openai",
            openai_api_key=SecretStr("sk-test-not-a-key"),
            openai_base_url=fake.base_url,
        )
        outcome = await evaluator.run_case(case("judged", [{"customer": BUDGET}]))
        await judge_outcome(build_model(settings), outcome)
    finally:
        fake.stop()
    assert outcome.turns[0].judge == {
        "helpfulness": 4,
        "groundedness": 5,
        "reason": "cites the call",
    }
    sent = json.dumps(fake.requests[0], ensure_ascii=False)
    assert outcome.turns[0].reply and outcome.turns[0].reply[:40] in sent
    assert judge_summary([outcome]) == {"judge_helpfulness": 4.0, "judge_groundedness": 5.0}
