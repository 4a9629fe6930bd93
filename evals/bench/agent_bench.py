"""Agent turn benchmark: turn overhead with the rules model, and prompt size vs whole history.

A customer with a 150-turn call and 50 WhatsApp messages; each measured turn goes through
`run_turn` (database included: inbound stored and embedded, context, graph with checkpoint,
tools, reply stored). Prompt tokens are estimated as characters / 4 for both sides.

    python -m evals.bench.agent_bench [--turns 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from agent import build_agent, run_turn
from agent.nodes import system_prompt
from config import Settings
from memory import CallRecord, CallTurn, customer_context, open_memory, save_call, save_message

TOPICS = [
    "el presupuesto de {n} mil pesos",
    "la instalación en el techo de teja",
    "la garantía de {n} años",
    "el inversor híbrido",
    "la visita técnica del jueves",
    "la financiación a {n} meses",
    "el consumo de {n} kWh al mes",
    "los paneles de {n} vatios",
]
QUESTIONS = [
    "¿Me recuerdas lo que hablamos del inversor?",
    "¿Cuánto cuesta la instalación?",
    "¿Me pueden llamar mañana a las 10?",
    "Gracias",
    "¿Qué pasó con la cotización?",
    "Can you remind me what we discussed about the warranty?",
    "Hola",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(turns: int) -> None:
    settings = Settings(
        _env_file=None, data_dir=Path(tempfile.mkdtemp(prefix="hilo-agent-bench-")), llm="rules"
    )
    memory = await open_memory(settings)
    try:
        call_turns = [
            CallTurn(
                "agent" if i % 2 == 0 else "customer",
                f"Sobre {TOPICS[i % len(TOPICS)].format(n=i + 3)}, turno {i}.",
            )
            for i in range(150)
        ]
        saved = await save_call(
            memory,
            CallRecord(
                "bench_call", "+573001234567", call_turns, datetime.now(UTC), customer_name="Bench"
            ),
        )
        cid = saved.customer.id
        for i in range(50):
            await save_message(
                memory,
                cid,
                channel="whatsapp",
                direction="inbound" if i % 2 == 0 else "outbound",
                role="customer" if i % 2 == 0 else "agent",
                text=f"Mensaje {i} sobre {TOPICS[i % len(TOPICS)].format(n=i)}",
            )
        agent = await build_agent(settings, memory)
        await run_turn(agent, cid, "whatsapp", "Hola")  # warm-up
        latencies, tokens, baseline = [], [], []
        for i in range(turns):
            text = QUESTIONS[i % len(QUESTIONS)]
            started = time.perf_counter()
            result = await run_turn(agent, cid, "whatsapp", text)
            latencies.append((time.perf_counter() - started) * 1000)
            tokens.append(result.prompt_tokens)
            context = await customer_context(memory, cid, recent=10_000)
            state = {"context": context.as_dict(), "language": "es", "channel": "whatsapp"}
            history = "\n".join(f"{m.role}: {m.text}" for m in context.recent_messages)
            baseline.append((len(str(system_prompt(state).content)) + len(history)) // 4)
            if result.escalated or result.skipped:
                break
        print(f"turns measured: {len(latencies)}")
        print(
            f"turn latency ms: p50 {statistics.median(latencies):.1f}  "
            f"p95 {percentile(latencies, 0.95):.1f}  max {max(latencies):.1f}"
        )
        print(
            f"prompt tokens per turn (all model calls of the turn): median "
            f"{statistics.median(tokens):.0f}  p95 {percentile(tokens, 0.95):.0f}"
        )
        print(f"whole-history baseline tokens per call: median {statistics.median(baseline):.0f}")
        print(
            f"ratio whole-history / Hilo (per turn): "
            f"{statistics.median(baseline) / max(1, statistics.median(tokens)):.1f}x"
        )
    finally:
        await memory.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=60)
    asyncio.run(main(parser.parse_args().turns))
