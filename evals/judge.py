"""Optional LLM-as-judge: a helpfulness and a groundedness score (1–5) per answered turn.

Only with an LLM configured (`--judge` needs `OPENAI_API_KEY`); the offline checks never depend
on it. The judge sees the call summary, what the agent recalled and the exchange, and is asked
to grade only against that evidence.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from evals.checks import CaseOutcome

JUDGE_PROMPT = """You grade a customer-service agent's WhatsApp reply.
Helpfulness: does it answer the customer's message and move the conversation on (1 = not at
all, 5 = fully)? Groundedness: is every fact in it supported by the evidence (call summary,
recalled conversation, tool results) — 1 = invents facts, 5 = fully supported or makes no
factual claim. Answer with the two scores and one short reason."""


class Grade(BaseModel):
    helpfulness: int = Field(ge=1, le=5)
    groundedness: int = Field(ge=1, le=5)
    reason: str = ""


async def judge_outcome(model: BaseChatModel, outcome: CaseOutcome) -> None:
    """Add `judge` grades to each answered turn of `outcome` (in place)."""
    grader = model.with_structured_output(Grade)
    for turn in outcome.turns:
        if not turn.reply:
            continue
        evidence: dict[str, Any] = {
            "call_summary": outcome.call_summary,
            "tool_results": [{"tool": c["name"], "result": c["result"]} for c in turn.tool_calls],
        }
        exchange = f"Customer: {turn.customer}\nAgent: {turn.reply}"
        grade = await grader.ainvoke(
            [
                SystemMessage(content=JUDGE_PROMPT),
                HumanMessage(
                    content="Evidence:\n"
                    + json.dumps(evidence, ensure_ascii=False, default=str)[:6000]
                    + "\n\n"
                    + exchange
                ),
            ]
        )
        if isinstance(grade, Grade):
            turn.judge = grade.model_dump()


def judge_summary(outcomes: list[CaseOutcome]) -> dict[str, float | None]:
    grades = [t.judge for o in outcomes for t in o.turns if t.judge]
    if not grades:
        return {"judge_helpfulness": None, "judge_groundedness": None}
    return {
        "judge_helpfulness": sum(g["helpfulness"] for g in grades) / len(grades),
        "judge_groundedness": sum(g["groundedness"] for g in grades) / len(grades),
    }
