"""Agent turn benchmark: turn overhead with the rules model, and prompt size vs whole history.

A customer with a 150-turn call (stored and analysed) and 50 WhatsApp messages. Each measured
turn goes through `run_turn`, database included: the inbound message stored and embedded, the
context read, the graph run with its checkpoint, the tools (recall, next actions…), the reply
stored. The rules model stands in for the LLM, so the figures are Hilo's own overhead.

Prompt tokens: what the model is sent in each model call of the turn (system prompt from the
context + the bounded window + this turn's tool traffic), against a baseline that sends the
system prompt and the whole history (every call turn and message) in every model call of the
same turn. Tokens are counted with tiktoken's cl100k_base when its encoding file is available,
else estimated as characters / 4; the output says which.

    python -m evals.bench.agent_bench [--turns 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage

from agent import build_agent, run_turn
from agent.analysis import analyze_and_store_call
from agent.nodes import prompt_window, system_prompt
from config import Settings
from memory import CallRecord, CallTurn, save_call, save_message, timeline

TOPICS = [
    "el presupuesto de {n} millones de pesos",
    "la instalación en el techo de teja",
    "la garantía de {n} años de los paneles",
    "el inversor híbrido de {n} kilovatios",
    "la visita técnica del jueves",
    "la financiación a {n} meses con el banco",
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
    "¿Qué me dijiste de la financiación?",
]


def token_counter() -> tuple[Callable[[str], int], str]:
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base")
        return (lambda text: len(encoding.encode(text))), "tiktoken cl100k_base"
    except Exception:  # noqa: BLE001 - no encoding file offline: estimate
        return (lambda text: len(text) // 4), "estimate: characters / 4 (tiktoken not available)"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def seed_customer(memory) -> int:  # noqa: ANN001
    start = datetime.now(UTC) - timedelta(days=2)
    turns = []
    for i in range(150):
        topic = TOPICS[i % len(TOPICS)].format(n=i % 20 + 3)
        if i % 2 == 0:
            turns.append(CallTurn("agent", f"Le cuento sobre {topic}, ¿le parece bien?", i * 6.0))
        else:
            turns.append(CallTurn("customer", f"Sí, me interesa {topic}, cuénteme más.", i * 6.0))
    turns.append(CallTurn("agent", "Le envío la cotización el jueves por WhatsApp.", 900.0))
    call = CallRecord("bench_call", "+573001234567", turns, start, customer_name="Bench")
    saved = await save_call(memory, call)
    await analyze_and_store_call(memory, saved, call)
    for i in range(50):
        await save_message(
            memory,
            saved.customer.id,
            channel="whatsapp",
            direction="inbound" if i % 2 == 0 else "outbound",
            role="customer" if i % 2 == 0 else "agent",
            text=f"Mensaje {i} sobre {TOPICS[i % len(TOPICS)].format(n=i)}",
        )
    return saved.customer.id


async def main(turns: int) -> None:
    count, counter_name = token_counter()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=Path(tempfile.mkdtemp(prefix="hilo-agent-bench-")),
        llm="rules",
    )
    from memory import open_memory

    memory = await open_memory(settings)
    try:
        cid = await seed_customer(memory)
        agent = await build_agent(settings, memory)
        config = {"configurable": {"thread_id": str(cid)}}
        for text in ("Hola", "Gracias"):  # warm-up (first checkpoint, caches)
            await run_turn(agent, cid, "whatsapp", text)
        latencies: list[float] = []
        hilo_turn: list[int] = []
        base_turn: list[int] = []
        hilo_call: list[int] = []
        base_call: list[int] = []
        for i in range(turns):
            text = QUESTIONS[i % len(QUESTIONS)]
            started = time.perf_counter()
            result = await run_turn(agent, cid, "whatsapp", text)
            latencies.append((time.perf_counter() - started) * 1000)
            # What each model call of the turn was sent (outside the timing).
            state = (await agent.graph.aget_state(config)).values
            messages = state["messages"]
            last = max(j for j, m in enumerate(messages) if isinstance(m, HumanMessage))
            system = str(system_prompt(state).content)
            history = "\n".join(
                f"{m.role}: {m.text}"
                for m in await timeline(memory, cid)
                if m.id != result.reply_message_id
            )
            turn_tokens = base_tokens = 0
            for j in range(last + 1, len(messages)):
                if not isinstance(messages[j], AIMessage):
                    continue
                sent = [system, *(str(m.content) for m in prompt_window(messages[:j]))]
                this_turn = "\n".join(str(m.content) for m in messages[last + 1 : j])
                turn_tokens += sum(count(s) for s in sent)
                base_tokens += count(system) + count(history) + count(this_turn)
                hilo_call.append(sum(count(s) for s in sent))
                base_call.append(count(system) + count(history) + count(this_turn))
            hilo_turn.append(turn_tokens)
            base_turn.append(base_tokens)
            if result.escalated or result.skipped:
                break
        print(f"customer: 150-turn call (analysed) + 50 WhatsApp messages; turns: {len(latencies)}")
        print(
            f"turn latency (run_turn, rules model, DB included) ms: "
            f"p50 {statistics.median(latencies):.1f}  p95 {percentile(latencies, 0.95):.1f}  "
            f"max {max(latencies):.1f}"
        )
        print(f"tokens counted with: {counter_name}")
        for label, hilo, base in (
            ("per model call", hilo_call, base_call),
            ("per turn (all model calls)", hilo_turn, base_turn),
        ):
            print(
                f"prompt tokens {label}: Hilo median {statistics.median(hilo):.0f} "
                f"p95 {percentile(hilo, 0.95):.0f} | whole history median "
                f"{statistics.median(base):.0f} p95 {percentile(base, 0.95):.0f} | "
                f"ratio {statistics.median(base) / max(1, statistics.median(hilo)):.1f}x"
            )
    finally:
        await memory.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=60)
    asyncio.run(main(parser.parse_args().turns))
