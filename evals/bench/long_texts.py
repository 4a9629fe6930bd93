"""Long-text benchmark: `/healthz` latency while a 64 KB WhatsApp message and a post-call with
one 1 MB transcript turn are processed by a running `hilo serve`.

Starts `hilo serve` on loopback (embedded PostgreSQL, console WhatsApp channel, rules model,
the job worker in the web process: `hilo serve`'s default, where a long text's work shares the
event loop with every request). A prober asks `/healthz` every 5 ms; each run posts, signed as
Twilio and ElevenLabs sign them, one 64 K-character WhatsApp message (until its reply is
stored) and then one post-call whose second turn holds 1 MB of text (until the call is stored
and analysed). Prints `/healthz` p50/p99/max per run and phase, then the medians over runs.

    python -m evals.bench.long_texts [--runs 5]

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
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import psycopg
from twilio.request_validator import RequestValidator

from channels.elevenlabs import sign_elevenlabs
from evals.bench.webhook_bench import free_port, pct
from memory.database import start_embedded_postgres

WORDS = "Quiero saber de la garantía del inversor y del precio de la instalación. "
PROBE_EVERY = 0.005
PHASE_TIMEOUT = 300.0


def text_of(chars: int) -> str:
    return (WORDS * (chars // len(WORDS) + 1))[:chars]


async def probe(http: httpx.AsyncClient, latencies: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        response = await http.get("/healthz")
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        await asyncio.sleep(PROBE_EVERY)


async def while_probed(
    http: httpx.AsyncClient, work: Callable[[], Awaitable[None]]
) -> tuple[list[float], float]:
    """`/healthz` latencies (ms) while `work` runs, and how long it ran (s)."""
    latencies: list[float] = []
    stop = asyncio.Event()
    prober = asyncio.create_task(probe(http, latencies, stop))
    started = time.perf_counter()
    try:
        await asyncio.wait_for(work(), PHASE_TIMEOUT)
    finally:
        stop.set()
        await prober
    return latencies, time.perf_counter() - started


async def until(dsn: str, sql: str, args: tuple[object, ...]) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        while not (await (await conn.execute(sql, args)).fetchone() or (0,))[0]:
            await asyncio.sleep(0.05)


def whatsapp_work(
    http: httpx.AsyncClient, base: str, token: str, dsn: str, run: int
) -> Callable[[], Awaitable[None]]:
    sid, phone = f"SM{run:032d}", f"+5730077{run:05d}"
    form = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:{phone}",
        "To": "whatsapp:+14155238886",
        "Body": text_of(65_536),
        "NumMedia": "0",
        "ProfileName": "Bench",
    }
    url = f"{base}/webhooks/twilio/whatsapp"
    signature = RequestValidator(token).compute_signature(url, form)

    async def work() -> None:
        answer = await http.post(url, data=form, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200, answer.text
        await until(
            dsn,
            "SELECT count(*) FROM messages m JOIN customers c ON c.id = m.customer_id "
            "WHERE c.phone = %s AND m.direction = 'outbound'",
            (phone,),
        )

    return work


def call_work(
    http: httpx.AsyncClient, secret: str, dsn: str, run: int
) -> Callable[[], Awaitable[None]]:
    now, conversation = int(time.time()), f"bench_long_{run}"
    turns = [
        ("agent", "Hola, te llamo de Sol Andino por los paneles solares."),
        ("user", text_of(1024 * 1024)),
        ("agent", "Perfecto, te envío la cotización el jueves por WhatsApp."),
    ]
    body = {
        "type": "post_call_transcription",
        "event_timestamp": now,
        "data": {
            "agent_id": "a",
            "conversation_id": conversation,
            "status": "done",
            "transcript": [
                {"role": r, "message": m, "time_in_call_secs": i * 5}
                for i, (r, m) in enumerate(turns)
            ],
            "metadata": {
                "start_time_unix_secs": now,
                "call_duration_secs": 60,
                "phone_call": {"direction": "outbound", "external_number": f"+5730088{run:05d}"},
            },
        },
    }
    raw = json.dumps(body).encode()

    async def work() -> None:
        answer = await http.post(
            "/webhooks/elevenlabs/post-call",
            content=raw,
            headers={
                "ElevenLabs-Signature": sign_elevenlabs(raw, secret),
                "Content-Type": "application/json",
            },
        )
        assert answer.status_code == 200, answer.text
        await until(
            dsn,
            "SELECT count(*) FROM interactions WHERE external_id = %s AND intent IS NOT NULL",
            (conversation,),
        )

    return work


def line(name: str, latencies: list[float], seconds: float) -> str:
    return (
        f"{name:<26} healthz p50 {pct(latencies, 0.5):6.1f} ms  p99 {pct(latencies, 0.99):6.1f} ms"
        f"  max {max(latencies):6.1f} ms  ({len(latencies)} probes, processed in {seconds:.2f} s)"
    )


async def main(runs: int) -> None:
    port, token, el_secret = free_port(), secrets.token_hex(16), secrets.token_hex(16)
    data_dir = tempfile.mkdtemp(prefix="hilo-long-bench-")
    dsn = start_embedded_postgres(Path(data_dir))
    env = {
        **os.environ,
        "HILO_DATA_DIR": data_dir,
        "DATABASE_URL": dsn,
        "TWILIO_AUTH_TOKEN": token,  # signatures checked; no account: the console channel
        "ELEVENLABS_WEBHOOK_SECRET": el_secret,
        "HILO_LOG_FORMAT": "json",
    }
    for key in ("TWILIO_ACCOUNT_SID", "OPENAI_API_KEY"):
        env.pop(key, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, list[tuple[float, float]]] = {"whatsapp": [], "call": []}
    try:
        async with httpx.AsyncClient(base_url=base, timeout=PHASE_TIMEOUT) as http:
            for _ in range(900):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            idle, _ = await while_probed(http, lambda: asyncio.sleep(2))
            print(line("idle", idle, 2))
            for run in range(runs):
                for phase, work in (
                    ("whatsapp", whatsapp_work(http, base, token, dsn, run)),
                    ("call", call_work(http, el_secret, dsn, run)),
                ):
                    latencies, seconds = await while_probed(http, work)
                    name = (
                        "64 KB WhatsApp message" if phase == "whatsapp" else "1 MB transcript turn"
                    )
                    print(f"run {run + 1}: " + line(name, latencies, seconds))
                    results[phase].append((pct(latencies, 0.5), pct(latencies, 0.99)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    for phase, name in (("whatsapp", "64 KB WhatsApp message"), ("call", "1 MB transcript turn")):
        p50s, p99s = [r[0] for r in results[phase]], [r[1] for r in results[phase]]
        print(
            f"median over {len(p50s)} runs, {name}: healthz p50 {statistics.median(p50s):.1f} ms, "
            f"p99 {statistics.median(p99s):.1f} ms (p99 range {min(p99s):.1f}–{max(p99s):.1f})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
