"""Custom LLM benchmark: what Hilo adds before the model's first token on a live call.

Starts a fake OpenAI-compatible model (its own process: a fixed delay before the first token,
then a word every few ms), `hilo serve` on the embedded database with that model as its LLM
(`HILO_LLM=openai`, no buffer phrase), seeds customers with an earlier call, and binds one call
per customer through the call-start webhook. Then `--calls` concurrent calls speak `--turns`
turns each, and the same number of concurrent clients ask the fake model directly, on the same
cadence. Two cadences, each on calls (customers) of its own, both printed by default:

- paced (`--paced` alone): as on real calls, after each answer a call waits a "listen + speak"
  pause (the answer spoken by TTS, then the caller's reply), drawn uniformly from
  [`--pause-min`, `--pause-max`] = [2, 6] s by a generator seeded per call (`--seed`), and the
  calls start at random moments within the first pause;
- lockstep (`--lockstep` alone): every call speaks again the instant its answer ends, so all the
  calls' turns arrive within a few ms of each other every cycle: a burst no real set of calls
  produces, kept as the worst case.

For each:

- Hilo's overhead before the model: from the caller's request leaving to the model receiving
  Hilo's request (auth, binding, live turn stored, context, recall, graph, prompt), p50/p95
  (each question ends in a short number, " #<n>", by which the fake model knows it);
- time to the first content chunk, through Hilo and direct, and their ratio;
- the same work measured inside the server (`memory.phases`, logged at DEBUG on `hilo.phases`
  by the served process): request read and auth, binding, live turns stored, the graph up to
  its guard (checkpoint read), the guard, context, recall and its query embedding (these two
  overlap the others: they run concurrently), load_context to the model's request, and the
  total up to the model's request. Less affected by a busy machine than the client's figure,
  which also holds the HTTP hops and the load generator's own scheduling.

    python -m evals.bench.custom_llm_bench [--calls 20] [--turns 10] [--latency 0.3]
        [--paced | --lockstep] [--pause-min 2] [--pause-max 6] [--seed 14]

The default run (both cadences, 20 calls x 10 turns) takes about two minutes, most of it the
paced calls' pauses (Hilo's, then the direct clients').

All traffic goes to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
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

# isort: off
# Before anything loads numpy: BLAS kept to one thread, as `hilo serve` has it (httpx, fastapi
# and the bench's helpers load it first otherwise, and the served Hilo ran with two).
import server as _blas_one_thread  # noqa: F401

# isort: on
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


async def main(args: argparse.Namespace) -> None:
    from memory.database import start_embedded_postgres

    modes = ["lockstep"] if args.lockstep else ["paced"] if args.paced else ["paced", "lockstep"]
    calls, latency = args.calls, args.latency
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
    if args.pid_file:
        Path(args.pid_file).write_text(str(server.pid))  # for a profiler to attach to
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
            # One customer for the warm-up, and `calls` of their own for each mode.
            phones = await seed(dsn, data_dir, 1 + calls * len(modes))
            tokens = []
            for n, phone in enumerate(phones):
                start = await http.post(
                    "/webhooks/elevenlabs/conversation-init",
                    json={"caller_id": phone, "call_sid": f"CAbench{n:026d}"},
                    headers={"X-Hilo-Secret": tools_secret},
                )
                tokens.append(start.json()["custom_llm_extra_body"]["hilo_call"])
            bench = Bench(http, model, llm_secret, server_log, args.turns, server.pid)
            await bench.call(tokens[0], Cadence.lockstep())  # models, pools and caches warm
            print(
                f"{calls} concurrent calls x {args.turns} turns; fake model: first token after "
                f"{latency:.2f} s, then a word every 5 ms; load average at start "
                f"{_load()}"
            )
            for i, mode in enumerate(modes):
                cadence = (
                    Cadence.lockstep()
                    if mode == "lockstep"
                    else Cadence(args.pause_min, args.pause_max, args.seed)
                )
                await bench.run(mode, tokens[1 + i * calls : 1 + (i + 1) * calls], cadence)
    finally:
        for process in (server, fake):
            process.terminate()
            process.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (all its threads, user + sys), with its live children's (the
    query embedding process), or -1 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(max(cpu_seconds(child), 0.0) for child in _children(pid))


def _children(pid: int) -> list[int]:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


class Cadence:
    """When a call speaks again. Paced (the default): after each answer the call waits a
    "listen + speak" pause drawn uniformly from [pause_min, pause_max] s (the answer spoken by
    TTS, then the caller's reply), and each call starts at a random moment within the first
    pause, so the calls' turns are spread as on real calls. Lockstep: no pause and no stagger,
    every call speaks again the instant its answer ends: the 20 turns arrive together every
    cycle, a burst no real set of calls produces (the worst case). Seeded: the same run each
    time (one generator per call, so the schedule does not depend on the order calls finish)."""

    def __init__(self, pause_min: float, pause_max: float, seed: int) -> None:
        self.pause_min, self.pause_max, self.seed = pause_min, pause_max, seed

    @classmethod
    def lockstep(cls) -> Cadence:
        return cls(0.0, 0.0, 0)

    @property
    def paced(self) -> bool:
        return self.pause_max > 0

    def schedule(self, call: int, turns: int) -> tuple[float, list[float]]:
        """The call's start offset and the pause after each of its answers, in s."""
        if not self.paced:
            return 0.0, [0.0] * turns
        rng = random.Random(f"{self.seed}:{call}")
        return rng.uniform(0, self.pause_max), [
            rng.uniform(self.pause_min, self.pause_max) for _ in range(turns)
        ]

    def describe(self) -> str:
        if not self.paced:
            return "lockstep: each call speaks again as soon as its answer ends (worst case)"
        return (
            f"paced: {self.pause_min:g}-{self.pause_max:g} s listen + speak pause after each "
            f"answer (uniform, seed {self.seed}), calls started within the first pause"
        )


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


class Bench:
    """Calls through Hilo and clients of the fake model directly, on a cadence."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        model: str,
        llm_secret: str,
        server_log: Path,
        turns: int,
        server_pid: int,
    ) -> None:
        self.http, self.model, self.server_log, self.turns = http, model, server_log, turns
        self.server_pid = server_pid
        self.auth = {"Authorization": f"Bearer {llm_secret}"}
        self.sent_at: dict[str, float] = {}
        # Each question ends in " #<n>", n unique in the run: the fake model reads it to note
        # when Hilo asked it. A short number, as a caller's words could hold: a 32-digit hex
        # marker (as before) doubled the cost of embedding the words for recall (~2.3 → ~4.6
        # ms), a cost no real call has.
        self.markers = itertools.count(1)
        self.through: list[float] = []

    async def call(self, token: str, cadence: Cadence, n: int = 0) -> None:
        start, pauses = cadence.schedule(n, self.turns)
        await asyncio.sleep(start)
        dialogue = [{"role": "assistant", "content": "Hola, ¿en qué te puedo ayudar?"}]
        for t in range(self.turns):
            marker = str(next(self.markers))
            dialogue.append(
                {"role": "user", "content": f"{QUESTIONS[t % len(QUESTIONS)]} #{marker}"}
            )
            body = {
                "model": "hilo", "stream": True, "messages": [
                    {"role": "system", "content": "voice agent"}, *dialogue],
                "tools": [END_CALL], "elevenlabs_extra_body": {"hilo_call": token},
            }  # fmt: skip
            self.sent_at[marker] = time.time()
            self.through.append(
                await first_content(self.http, "/v1/chat/completions", body, self.auth)
            )
            dialogue.append({"role": "assistant", "content": ANSWER})
            if t < self.turns - 1:
                await asyncio.sleep(pauses[t])

    async def ask_directly(self, cadence: Cadence, n: int, direct: list[float]) -> None:
        start, pauses = cadence.schedule(n, self.turns)
        await asyncio.sleep(start)
        for t in range(self.turns):
            question = {"role": "user", "content": f"hola #{uuid.uuid4().hex}"}
            body = {"model": "fake", "stream": True, "messages": [question]}
            url = self.model + "/chat/completions"
            direct.append(await first_content(self.http, url, body, {}))
            if t < self.turns - 1:
                await asyncio.sleep(pauses[t])

    async def run(self, mode: str, tokens: list[str], cadence: Cadence) -> None:
        self.sent_at.clear()
        self.through.clear()
        load = _load()
        logged_before = len(logged_phases(self.server_log))
        began, cpu_before = time.perf_counter(), cpu_seconds(self.server_pid)
        await asyncio.gather(*(self.call(t, cadence, n) for n, t in enumerate(tokens)))
        took = time.perf_counter() - began
        await asyncio.sleep(1.0)  # the server's last answers stored and log lines written
        cpu = cpu_seconds(self.server_pid) - cpu_before
        inside = logged_phases(self.server_log)[logged_before:]
        arrivals = (await self.http.get(self.model.removesuffix("/v1") + "/arrivals")).json()
        overhead = [(arrivals[m] - s) * 1000 for m, s in self.sent_at.items() if m in arrivals]
        direct: list[float] = []  # the same number of clients, on the same cadence
        await asyncio.gather(*(self.ask_directly(cadence, n, direct) for n in range(len(tokens))))
        through = self.through
        print(f"\n== {mode.upper()}: {len(tokens)} calls, {cadence.describe()}")
        print(f"   load average at start {load}; Hilo's calls took {took:.1f} s")
        if cpu >= 0:
            print(
                f"Hilo's CPU per spoken turn (the server process and its children, user + sys, "
                f"whole turn with its answer streamed and stored; PostgreSQL not included): "
                f"{cpu * 1000 / max(len(self.through), 1):.1f} ms"
            )
        print(
            f"Hilo's work before the model (request sent -> model asked), ms: "
            f"p50 {statistics.median(overhead):.1f}  p95 {pct(overhead, 0.95):.1f}  "
            f"max {max(overhead):.1f}  (n={len(overhead)})"
        )
        t_med, d_med = statistics.median(through) * 1000, statistics.median(direct) * 1000
        t_95, d_95 = pct(through, 0.95) * 1000, pct(direct, 0.95) * 1000
        print(
            f"first content chunk, ms: through Hilo p50 {t_med:.1f} p95 {t_95:.1f}"
            f" | model directly p50 {d_med:.1f} p95 {d_95:.1f}"
            f" | ratio p50 {t_med / d_med:.2f} p95 {t_95 / d_95:.2f}"
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
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--paced", action="store_true", help="only the paced calls")
    modes.add_argument(
        "--lockstep", action="store_true", help="only the lockstep calls (the burst worst case)"
    )
    parser.add_argument("--pause-min", type=float, default=2.0, help="listen + speak pause, s")
    parser.add_argument("--pause-max", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=14, help="the paced calls' schedule")
    parser.add_argument("--pid-file", default="", help="write the server's pid here (profiling)")
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
        asyncio.run(main(args))
