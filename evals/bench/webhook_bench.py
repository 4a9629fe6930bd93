"""Webhook and voice-path benchmark against a running `hilo serve` (embedded database).

Starts the server as a subprocess on loopback (console WhatsApp channel, rules model), then:
1. WhatsApp webhook acknowledgement latency (signed requests, as Twilio sends them) from N
   concurrent senders at offered loads (Poisson arrivals), then back to back (the sustained
   rate the web process accepts), then the worker on the backlog (agent turn + reply sent);
2. live tool latency (`recall_conversations`) at M concurrent calls;
3. post-call ingest of a 150-turn call end to end (webhook → stored, analysed, follow-up queued).

    python -m evals.bench.webhook_bench [--senders 50] [--rates 50,100,200] [--seconds 10]
        [--messages 1000] [--worker after|during|in-process] [--no-voice] [--calls 20]

All traffic goes to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
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


async def main(
    senders: int,
    messages: int,
    rates: list[float],
    seconds: float,
    calls: int,
    worker_mode: str,
    think: float,
    voice: bool,
    web_workers: int = 1,
) -> None:
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
        # "after": the web process only answers webhooks and a `hilo worker` starts once the
        # acknowledgements are measured, so they measure the web path alone (then the backlog
        # measures the worker). "during": the worker runs beside it from the start (on this
        # 2-core machine, sharing the CPU). "in-process": `hilo serve`'s default.
        nonlocal worker
        if worker_mode != "in-process" and worker is None:
            worker = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    if worker_mode != "in-process":
        env["HILO_RUN_WORKER"] = "false"
    if worker_mode == "during":
        start_worker()
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
        + ["--workers", str(web_workers)],
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
            await whatsapp_phase(base, token, senders, messages, rates, seconds, start_worker)
            if voice:
                await ingest_phase(http, el_secret)
                await tools_phase(http, tools_secret, calls, think)
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def signed_forms(token: str, url: str, count: int, offset: int) -> list[tuple[dict[str, str], str]]:
    """Inbound WhatsApp bodies as Twilio sends them, signed with the account's token."""
    validator = RequestValidator(token)
    forms = []
    for i in range(offset, offset + count):
        form = {
            "MessageSid": f"SM{i:032d}",
            "SmsSid": f"SM{i:032d}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"whatsapp:+5730010{(i % 500):05d}",
            "To": "whatsapp:+14155238886",
            "Body": "Hola, ¿cuánto cuesta la instalación?",
            "NumMedia": "0",
            "ProfileName": "Bench",
            "WaId": f"5730010{(i % 500):05d}",
            "MessageType": "text",
        }
        forms.append((form, validator.compute_signature(url, form)))
    return forms


async def post_all(
    http: aiohttp.ClientSession,
    url: str,
    forms: list[tuple[dict[str, str], str]],
    senders: int,
    rate: float | None,
) -> tuple[list[float], float]:
    """Post `forms` from `senders` concurrent senders; returns ack latencies (ms) and seconds.

    `rate` None: each sender posts its next message as soon as the last is acknowledged (the
    server's saturation). Otherwise messages arrive at `rate` per second in all (Poisson, dealt
    to the senders in turn), whatever the server's speed: latency at that load.
    """
    latencies: list[float] = []
    rng, due, schedule = random.Random(7), 0.0, []
    for _ in forms:
        due += rng.expovariate(rate) if rate else 0.0
        schedule.append(due)
    per_sender = [list(zip(forms, schedule, strict=True))[n::senders] for n in range(senders)]
    started = time.perf_counter()

    async def sender(mine: list[tuple[tuple[dict[str, str], str], float]]) -> None:
        for (form, signature), at in mine:
            if rate is not None:
                await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
            sent = time.perf_counter()
            async with http.post(url, data=form, headers={"X-Twilio-Signature": signature}) as r:
                await r.read()
                assert r.status == 200, r.status
            latencies.append((time.perf_counter() - sent) * 1000)

    await asyncio.gather(*(sender(mine) for mine in per_sender))
    return latencies, time.perf_counter() - started


async def whatsapp_phase(
    base: str,
    token: str,
    senders: int,
    messages: int,
    rates: list[float],
    seconds: float,
    start_worker: Callable[[], None],
) -> None:
    url = base + "/webhooks/twilio/whatsapp"
    offset = 0
    connector = aiohttp.TCPConnector(limit=senders + 10)
    async with aiohttp.ClientSession(connector=connector) as http:
        for rate in rates:
            count = int(rate * seconds)
            forms = signed_forms(token, url, count, offset)
            offset += count
            latencies, took = await post_all(http, url, forms, senders, rate)
            print(
                f"whatsapp webhook ack at {rate:.0f} msg/s offered ({senders} senders, {count} "
                f"messages, {count / took:.0f} msg/s achieved): p50 "
                f"{statistics.median(latencies):.1f} ms  p99 {pct(latencies, 0.99):.1f} ms  "
                f"max {max(latencies):.1f} ms"
            )
        forms = signed_forms(token, url, messages, offset)
        latencies, took = await post_all(http, url, forms, senders, None)
        print(
            f"whatsapp webhook saturation ({senders} senders back to back, {messages} messages): "
            f"{messages / took:.0f} msg/s sustained; p50 {statistics.median(latencies):.1f} ms  "
            f"p99 {pct(latencies, 0.99):.1f} ms"
        )
    total = offset + messages
    start_worker()
    started = time.perf_counter()
    deadline = started + 900
    while time.perf_counter() < deadline:
        with psycopg.connect(DSN) as conn:
            left = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo','doing')"
            ).fetchone()[0]  # type: ignore[index]
        if left == 0:
            break
        await asyncio.sleep(0.5)
    with psycopg.connect(DSN) as conn:
        replies = conn.execute(
            "SELECT count(*) FROM messages WHERE role = 'agent' AND external_id IS NOT NULL"
        ).fetchone()[0]  # type: ignore[index]
    answered = time.perf_counter() - started
    print(
        f"worker: {replies} of {total} messages answered (agent turn + reply sent, console "
        f"channel) at {replies / answered:.1f} msg/s once the backlog was there ({answered:.0f} s)"
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
                ).fetchone()[0]  # type: ignore[index]
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
    parser.add_argument(
        "--rates",
        default="50,100,200",
        help="offered WhatsApp loads (msg/s, comma-separated) to measure acks at",
    )
    parser.add_argument("--seconds", type=float, default=10, help="duration of each load")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument(
        "--no-voice", action="store_true", help="only the WhatsApp webhook (no ElevenLabs phases)"
    )
    parser.add_argument(
        "--worker",
        choices=["after", "during", "in-process"],
        default="after",
        help="a `hilo worker` started after the acks are measured, one running beside the "
        "server throughout, or the worker inside the web process (hilo serve's default)",
    )
    parser.add_argument("--web-workers", type=int, default=1, help="hilo serve --workers")
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="seconds a live caller talks between two tool requests",
    )
    args = parser.parse_args()
    asyncio.run(
        main(
            args.senders,
            args.messages,
            [float(r) for r in args.rates.split(",") if r],
            args.seconds,
            args.calls,
            args.worker,
            args.think,
            not args.no_voice,
            args.web_workers,
        )
    )
