"""Custom LLM benchmark: what Hilo adds before the model's first token on a live call.

Starts a fake OpenAI-compatible model (its own process: a fixed delay before the first token,
then a word every few ms), `hilo serve` on the embedded database with that model as its LLM
(`HILO_LLM=openai`, no buffer phrase), seeds customers with an earlier call, and binds one call
per customer through the call-start webhook. Then `--calls` concurrent calls speak `--turns`
turns each, and the same number of concurrent clients ask the fake model directly:

- Hilo's overhead before the model: from the caller's request leaving to the model receiving
  Hilo's request (auth, binding, live turn stored, context, recall, graph, prompt), p50/p95;
- time to the first content chunk, through Hilo and direct, and their ratio;
- the same work measured inside the server (`memory.phases`, logged at DEBUG on `hilo.phases`
  by the served process): request read and auth, binding, live turns stored, the graph up to
  its guard (checkpoint read), the guard, context, recall and its query embedding (these two
  overlap the others: they run concurrently), load_context to the model's request, and the
  total up to the model's request. Less affected by a busy machine than the client's figure,
  which also holds the HTTP hops and the load generator's own scheduling.

    python -m evals.bench.custom_llm_bench [--calls 20] [--turns 10] [--latency 0.3]

All traffic goes to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from evals.bench.webhook_bench import free_port, pct

QUESTIONS = [
    "¿Cuánto te dije que podía pagar al mes?",
    "¿La instalación incluye el inversor?",
    "¿Cuándo me mandan la cotización?",
    "Vivo en Chía, ¿llegan hasta allá?",
    "¿Qué garantía tienen los paneles?",
]
# What an ElevenLabs agent with the end-call system tool sends on every turn.
END_CALL = {
    "type": "function",
    "function": {
        "name": "end_call",
        "description": "End the conversation when the task is done or the user says goodbye.",
        "parameters": {
            "type": "object",
            "properties": {"reason": {"type": "string"}, "message": {"type": "string"}},
            "required": ["reason"],
        },
    },
}
ANSWER = "Me dijiste que unos quinientos mil pesos al mes, ¿te sirve que lo revisemos juntos?"


def fake_model_app(latency: float) -> Any:
    """An OpenAI-compatible model: `latency` s to the first token, then a word every 5 ms.
    It notes when each request arrived, by the marker in its last user message."""
    app = FastAPI()
    arrivals: dict[str, float] = {}

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> StreamingResponse:
        arrived = time.time()
        body = await request.json()
        last = next(m for m in reversed(body["messages"]) if m["role"] == "user")
        marker = str(last["content"]).rsplit("#", 1)[-1].strip()
        arrivals[marker] = arrived

        async def events() -> Any:
            await asyncio.sleep(latency)
            base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                    "model": "fake"}  # fmt: skip
            for word in ANSWER.split():
                delta = {"content": word + " "}
                chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                yield f"data: {json.dumps(chunk)}\n\n"
                await asyncio.sleep(0.005)
            done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            yield f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/arrivals")
    async def arrivals_seen() -> dict[str, float]:
        return arrivals

    return app


async def first_content(http: httpx.AsyncClient, url: str, body: dict, headers: dict) -> float:
    """Seconds from sending to the first content chunk of a streamed completion."""
    sent = time.perf_counter()
    async with http.stream("POST", url, json=body, headers=headers) as response:
        assert response.status_code == 200, response.status_code
        first = None
        async for line in response.aiter_lines():
            content = line.startswith("data: {") and '"content": "' in line
            if first is None and content and '"content": ""' not in line:
                first = time.perf_counter() - sent
        assert first is not None
        return first


async def seed(dsn: str, data_dir: str, customers: int) -> list[str]:
    """Customers with an earlier call each, stored as a finished call is."""
    from config import Settings
    from memory import CallRecord, CallTurn, open_memory, save_call

    settings = Settings(_env_file=None, database_url=dsn, data_dir=Path(data_dir), llm="rules")  # type: ignore[call-arg]
    memory = await open_memory(settings)
    phones = [f"+5730020{n:05d}" for n in range(customers)]
    try:
        for n, phone in enumerate(phones):
            turns = [
                CallTurn("agent", "Hola, te llamo de Sol Andino por los paneles solares."),
                CallTurn("customer", "Quiero paneles para mi casa en Chía."),
                CallTurn("agent", "¿Cuánto podrían pagar al mes?"),
                CallTurn("customer", "Unos 500 mil pesos como máximo."),
                CallTurn("agent", "Te envío la cotización el jueves por WhatsApp."),
            ]
            await save_call(
                memory,
                CallRecord(f"conv_seed_{n}", phone, turns, datetime.now(UTC), customer_name="Ana"),
            )
    finally:
        await memory.close()
    return phones


async def main(calls: int, turns: int, latency: float) -> None:
    from memory.database import start_embedded_postgres

    data_dir = tempfile.mkdtemp(prefix="hilo-llm-bench-")
    dsn = start_embedded_postgres(Path(data_dir))
    model_port, port = free_port(), free_port()
    llm_secret, tools_secret = secrets.token_hex(16), secrets.token_hex(16)
    fake = subprocess.Popen(
        [sys.executable, "-m", "evals.bench.custom_llm_bench", "--serve-model", str(model_port),
         "--latency", str(latency)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    model = f"http://127.0.0.1:{model_port}/v1"
    env = {
        **os.environ,
        "HILO_DATA_DIR": data_dir,
        "DATABASE_URL": dsn,
        "HILO_LLM": "openai",
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": model,
        "HILO_LLM_SECRET": llm_secret,
        "HILO_TOOLS_SECRET": tools_secret,
        "HILO_LLM_BUFFER_AFTER": "0",
        "HILO_RUN_WORKER": "false",
        "HILO_LOG_FORMAT": "json",
    }
    server_log = Path(data_dir) / "server.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "evals.bench.custom_llm_bench", "--serve-hilo", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=server_log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=calls * 2 + 10)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            for _ in range(600):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            phones = await seed(dsn, data_dir, calls + 1)  # one more for the warm-up
            tokens = []
            for n, phone in enumerate(phones):
                start = await http.post(
                    "/webhooks/elevenlabs/conversation-init",
                    json={"caller_id": phone, "call_sid": f"CAbench{n:026d}"},
                    headers={"X-Hilo-Secret": tools_secret},
                )
                tokens.append(start.json()["custom_llm_extra_body"]["hilo_call"])
            await measure(http, model, tokens, turns, llm_secret, server_log)
    finally:
        for process in (server, fake):
            process.terminate()
            process.wait(timeout=30)


def logged_phases(server_log: Path) -> list[dict[str, float]]:
    """Each turn's phases as the server logged them: spans, and the marks as `@name`."""
    turns = []
    for line in server_log.read_text().splitlines():
        if '"before the model"' not in line:
            continue
        record = json.loads(line)
        marks = record["marks"]
        spans = dict(record["spans"])
        spans["graph_to_guard"] = marks["guard"] - marks["graph"]
        spans["guard"] = marks["load_context"] - marks["guard"]
        spans["to_model"] = marks["model"] - marks["load_context"]
        spans["total"] = marks["model"]
        turns.append(spans)
    return turns


PHASES = ["request", "bind", "live_turns", "graph_to_guard", "guard", "context", "recall",
          "embedding", "to_model", "total"]  # fmt: skip


async def measure(
    http: httpx.AsyncClient,
    model: str,
    tokens: list[str],
    turns: int,
    llm_secret: str,
    server_log: Path,
) -> None:
    sent_at: dict[str, float] = {}
    through: list[float] = []
    direct: list[float] = []
    auth = {"Authorization": f"Bearer {llm_secret}"}

    async def call(token: str) -> None:
        dialogue = [{"role": "assistant", "content": "Hola, ¿en qué te puedo ayudar?"}]
        for t in range(turns):
            marker = uuid.uuid4().hex
            dialogue.append(
                {"role": "user", "content": f"{QUESTIONS[t % len(QUESTIONS)]} #{marker}"}
            )
            body = {
                "model": "hilo", "stream": True, "messages": [
                    {"role": "system", "content": "voice agent"}, *dialogue],
                "tools": [END_CALL], "elevenlabs_extra_body": {"hilo_call": token},
            }  # fmt: skip
            sent_at[marker] = time.time()
            through.append(await first_content(http, "/v1/chat/completions", body, auth))
            dialogue.append({"role": "assistant", "content": ANSWER})

    async def ask_directly() -> None:
        for _ in range(turns):
            question = {"role": "user", "content": f"hola #{uuid.uuid4().hex}"}
            body = {"model": "fake", "stream": True, "messages": [question]}
            direct.append(await first_content(http, model + "/chat/completions", body, {}))

    warm_up, tokens = tokens[0], tokens[1:]
    await call(warm_up)  # models, pools and caches warm
    sent_at.clear()
    through.clear()
    logged_before = len(logged_phases(server_log))
    await asyncio.gather(*(call(t) for t in tokens))
    await asyncio.sleep(0.5)  # the server's last log lines written
    inside = logged_phases(server_log)[logged_before:]
    arrivals = (await http.get(model.removesuffix("/v1") + "/arrivals")).json()
    overhead = [(arrivals[m] - s) * 1000 for m, s in sent_at.items() if m in arrivals]
    await asyncio.gather(*(ask_directly() for _ in tokens))
    n = len(tokens)
    print(f"{n} concurrent calls x {turns} turns; fake model: first token after its latency")
    print(
        f"Hilo's work before the model (request sent -> model asked), ms: "
        f"p50 {statistics.median(overhead):.1f}  p95 {pct(overhead, 0.95):.1f}  "
        f"max {max(overhead):.1f}  (n={len(overhead)})"
    )
    t_med, d_med = statistics.median(through) * 1000, statistics.median(direct) * 1000
    print(
        f"first content chunk, ms: through Hilo p50 {t_med:.1f} p95 {pct(through, 0.95) * 1000:.1f}"
        f" | model directly p50 {d_med:.1f} p95 {pct(direct, 0.95) * 1000:.1f}"
        f" | ratio of medians {t_med / d_med:.2f}"
    )
    print(f"inside the server, ms (n={len(inside)} turns logged): phase p50 / p95")
    for name in PHASES:
        values = [t.get(name, 0.0) for t in inside]
        if values:
            print(f"  {name:<15} {statistics.median(values):7.1f} / {pct(values, 0.95):7.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.3, help="the model's first token, s")
    parser.add_argument("--serve-model", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--serve-hilo", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hilo:
        import logging

        from server.cli import app

        logging.getLogger("hilo.phases").setLevel(logging.DEBUG)  # the rest stays at INFO
        app(["serve", "--port", str(args.serve_hilo)])
    elif args.serve_model:
        import uvicorn

        uvicorn.run(fake_model_app(args.latency), host="127.0.0.1", port=args.serve_model,
                    log_level="warning")  # fmt: skip
    else:
        asyncio.run(main(args.calls, args.turns, args.latency))
