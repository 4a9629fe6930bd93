"""Figures over a run's cases: pass rate, tools, escalation, opt-out, follow-up, groundedness,
leaks, retrieval, latency and prompt tokens; overall and per tag.

Definitions (also in the README):
- tool recall: expected tools called / expected tools; tool precision: expected tools called /
  (expected tools called + calls to a forbidden tool + acting tools nobody asked for). Reading
  memory (recall, context) is never counted as a false positive unless it is forbidden.
- escalation precision/recall: per turn, "an escalation is open after the turn" against the
  turn's `escalate`.
- opt-out accuracy: turns whose opt-out state is as expected, among turns where an opt-out was
  expected or happened.
- groundedness: turns and follow-ups with a `must_not_mention` list that said none of it.
- retrieval recall@k: mean share of a turn's evidence call turns covered by the call chunks among
  the first k results the agent recalled (0 when it recalled nothing).
"""

from __future__ import annotations

import statistics
from typing import Any

from evals.cases import Case
from evals.checks import ACTING_TOOLS, RECALL_K, CaseOutcome


def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summarize(cases: list[Case], outcomes: list[CaseOutcome]) -> dict[str, Any]:
    turns = [t for o in outcomes for t in o.turns]
    tp = fn = fp = 0
    for t in turns:
        called = t.tools_called
        expected = set(t.expected_tools)
        tp += len(expected & set(called))
        fn += len(expected - set(called))
        fp += sum(1 for name in called if name in t.forbidden_tools)
        unasked = {n for n in called if n in ACTING_TOOLS and n not in expected}
        fp += len(unasked - set(t.forbidden_tools))
    esc_tp = sum(1 for t in turns if t.escalated and t.expected_escalate)
    esc_fp = sum(1 for t in turns if t.escalated and not t.expected_escalate)
    esc_fn = sum(1 for t in turns if not t.escalated and t.expected_escalate)
    optout_turns = [t for t in turns if t.expected_opt_out or t.opted_out]
    optout_ok = sum(1 for t in optout_turns if t.opted_out == t.expected_opt_out)
    followup_checks = [c for o in outcomes for c in o.checks if c.name.startswith("followup")]
    grounded = [c for o in outcomes for c in o.all_checks() if c.name.endswith("must_not_mention")]
    recalls = [t.recall_at_k for t in turns if t.recall_at_k is not None]
    latencies = [t.latency_ms for t in turns]
    tokens = [float(t.prompt_tokens) for t in turns]
    passed = sum(1 for o in outcomes if o.passed)
    by_tag: dict[str, list[bool]] = {}
    for case, outcome in zip(cases, outcomes, strict=True):
        for tag in case.tags or ["untagged"]:
            by_tag.setdefault(tag, []).append(outcome.passed)
    check_names: dict[str, list[bool]] = {}
    for o in outcomes:
        for c in o.all_checks():
            check_names.setdefault(c.name, []).append(c.passed)
    return {
        "cases": len(outcomes),
        "passed": passed,
        "pass_rate": ratio(passed, len(outcomes)),
        "errors": sum(1 for o in outcomes if o.error),
        "turns": len(turns),
        "turns_passed": sum(1 for t in turns if t.passed),
        "tool_precision": ratio(tp, tp + fp),
        "tool_recall": ratio(tp, tp + fn),
        "escalation_precision": ratio(esc_tp, esc_tp + esc_fp),
        "escalation_recall": ratio(esc_tp, esc_tp + esc_fn),
        "opt_out_accuracy": ratio(optout_ok, len(optout_turns)),
        "followup_pass_rate": ratio(sum(c.passed for c in followup_checks), len(followup_checks)),
        "groundedness": ratio(sum(c.passed for c in grounded), len(grounded)),
        "groundedness_violations": sum(o.groundedness_violations for o in outcomes),
        "leak_violations": sum(o.leak_violations for o in outcomes),
        "wrong_recipient_violations": sum(o.wrong_recipient_violations for o in outcomes),
        f"retrieval_recall_at_{RECALL_K}": statistics.fmean(recalls) if recalls else None,
        "retrieval_turns": len(recalls),
        "latency_ms_p50": percentile(latencies, 0.5),
        "latency_ms_p95": percentile(latencies, 0.95),
        "prompt_tokens_mean": statistics.fmean(tokens) if tokens else None,
        "prompt_tokens_p95": percentile(tokens, 0.95),
        "by_tag": {
            tag: {"cases": len(v), "passed": sum(v), "pass_rate": ratio(sum(v), len(v))}
            for tag, v in sorted(by_tag.items())
        },
        "by_check": {
            name: {"checks": len(v), "passed": sum(v), "pass_rate": ratio(sum(v), len(v))}
            for name, v in sorted(check_names.items())
        },
    }
