"""Webhook and voice-path benchmark against a running `hilo serve` (embedded database).

Starts the server as a subprocess on loopback (console WhatsApp channel, rules model), then:
1. WhatsApp webhook acknowledgement latency (signed requests) at N concurrent senders, and the
   worker throughput on the backlog (agent turn + reply sent);
2. live tool latency (`recall_conversations`) at M concurrent calls;
3. post-call ingest of a 150-turn call end to end (webhook → stored, analysed, follow-up queued).

    python -m evals.bench.webhook_bench [--senders 50] [--messages 1000] [--calls 20]

All traffic goes to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from twilio.request_validator import RequestValidator

from channels.elevenlabs import sign_elevenlabs
from memory.database import start_embedded_postgres

DSN = ""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def main(senders: int, messages: int, calls: int, in_process: bool, think: float) -> None:
    port, token = free_port(), secrets.token_hex(16)
    el_secret, tools_secret = secrets.token_hex(16), secrets.token_hex(16)
    data_dir = tempfile.mkdtemp(prefix="hilo-webhook-bench-")
    global DSN
    # The embedded PostgreSQL, started here so the benchmark can watch the job queue too.
    DSN = start_embedded_postgres(Path(data_dir))
    env = {
        **os.environ,
        "HILO_DATA_DIR": data_dir,
        "TWILIO_AUTH_TOKEN": token,
        "DATABASE_URL": DSN,
        "ELEVENLABS_WEBHOOK_SECRET": el_secret,
        "HILO_TOOLS_SECRET": tools_secret,
        "HILO_LOG_FORMAT": "json",
    }
    for key in ("TWILIO_ACCOUNT_SID", "OPENAI_API_KEY"):
        env.pop(key, None)
    worker: subprocess.Popen[bytes] | None = None

    def start_worker() -> None:
        # The web process only answers webhooks; a `hilo worker` does the jobs. It starts once
        # the acknowledgements are measured, so on this 2-core machine they measure the web
        # path and not a CPU shared with agent turns (then the backlog measures the worker).
        nonlocal worker
        if not in_process and worker is None:
            worker = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    if not in_process:
        env["HILO_RUN_WORKER"] = "false"
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(max_connections=senders + 10)
        ) as http:
            for _ in range(600):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            await whatsapp_phase(http, base, token, senders, messages, start_worker)
            await ingest_phase(http, el_secret)
            await tools_phase(http, tools_secret, calls, think)
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


async def whatsapp_phase(
    http: httpx.AsyncClient,
    base: str,
    token: str,
    senders: int,
    messages: int,
    start_worker: Callable[[], None],
) -> None:
    validator = RequestValidator(token)
    url = base + "/webhooks/twilio/whatsapp"
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(messages):
        queue.put_nowait(i)

    async def sender(worker: int) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            phone = f"+5730010{(i % 500):05d}"
            form = {
                "MessageSid": f"SM{i:032d}",
                "From": f"whatsapp:{phone}",
                "Body": "Hola, ¿cuánto cuesta la instalación?",
                "To": "whatsapp:+14155238886",
                "AccountSid": "AC" + "0" * 32,
                "NumMedia": "0",
                "ProfileName": "Bench",
            }
            sig = validator.compute_signature(url, form)
            started = time.perf_counter()
            r = await http.post(
                "/webhooks/twilio/whatsapp", data=form, headers={"X-Twilio-Signature": sig}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, r.text

    started = time.perf_counter()
    await asyncio.gather(*(sender(w) for w in range(senders)))
    accepted = time.perf_counter() - started
    start_worker()
    started = time.perf_counter()
    print(
        f"whatsapp webhook ack ({senders} concurrent senders, {messages} messages): "
        f"p50 {statistics.median(latencies):.1f} ms  p99 {pct(latencies, 0.99):.1f} ms  "
        f"max {max(latencies):.1f} ms; accepted {messages / accepted:.0f} msg/s"
    )
    dsn = DSN
    deadline = time.perf_counter() + 600
    while time.perf_counter() < deadline:
        with psycopg.connect(dsn) as conn:
            left = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo','doing')"
            ).fetchone()[0]
        if left == 0:
            break
        await asyncio.sleep(0.5)
    answered = time.perf_counter() - started
    print(
        f"worker throughput (agent turn + reply sent, from a backlog): "
        f"{messages / answered:.1f} msg/s over {answered:.1f} s"
    )


async def ingest_phase(http: httpx.AsyncClient, secret: str) -> None:
    now = int(time.time())
    turns = [
        {
            "role": "agent" if i % 2 == 0 else "user",
            "message": f"Turno {i}: hablamos del presupuesto de {i + 3} millones y la "
            f"instalación del inversor número {i}.",
            "time_in_call_secs": i * 4,
        }
        for i in range(150)
    ]
    times = []
    for n in range(5):
        body = {
            "type": "post_call_transcription",
            "event_timestamp": now,
            "data": {
                "agent_id": "a",
                "conversation_id": f"bench_call_{n}",
                "status": "done",
                "transcript": turns,
                "metadata": {
                    "start_time_unix_secs": now,
                    "call_duration_secs": 600,
                    "phone_call": {
                        "type": "twilio",
                        "direction": "outbound",
                        "external_number": f"+57301200{n:04d}",
                    },
                },
                "analysis": {"transcript_summary": "Llamada larga de prueba."},
            },
        }
        raw = json.dumps(body).encode()
        started = time.perf_counter()
        r = await http.post(
            "/webhooks/elevenlabs/post-call",
            content=raw,
            headers={
                "ElevenLabs-Signature": sign_elevenlabs(raw, secret),
                "Content-Type": "application/json",
            },
        )
        assert r.status_code == 200, r.text
        while True:
            with psycopg.connect(DSN) as conn:
                done = conn.execute(
                    "SELECT count(*) FROM messages WHERE meta->>'followup_for' = %s",
                    (f"bench_call_{n}",),
                ).fetchone()[0]
            if done:
                break
            await asyncio.sleep(0.02)
        times.append(time.perf_counter() - started)
    print(
        f"post-call ingest, 150-turn call, webhook → stored + analysed + follow-up queued: "
        f"median {statistics.median(times):.2f} s  max {max(times):.2f} s (5 calls)"
    )


async def tools_phase(http: httpx.AsyncClient, secret: str, calls: int, think: float) -> None:
    latencies: list[float] = []

    async def caller(c: int) -> None:
        for _ in range(25):
            started = time.perf_counter()
            r = await http.post(
                "/elevenlabs/tools/recall_conversations",
                headers={"X-Hilo-Secret": secret},
                json={
                    "caller_id": f"+57301200{c % 5:04d}",
                    "query": "¿cuánto era el presupuesto del inversor?",
                },
            )
            latencies.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, r.text
            await asyncio.sleep(think * (0.5 + (c % 10) / 10))  # a caller speaks between tools

    await asyncio.gather(*(caller(c) for c in range(calls)))
    print(
        f"live tool recall_conversations ({calls} concurrent calls, {len(latencies)} "
        f"requests): p50 {statistics.median(latencies):.1f} ms  "
        f"p95 {pct(latencies, 0.95):.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the worker inside the web process (hilo serve's default)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="seconds a live caller talks between two tool requests",
    )
    args = parser.parse_args()
    asyncio.run(main(args.senders, args.messages, args.calls, args.in_process, args.think))
