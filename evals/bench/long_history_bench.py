"""Recall on long histories: the labelled long-history set through the real ingest paths.

    python -m evals.bench.long_history_bench [--customers 12] [--modes hybrid vector text]
        [--by lang kind cue] [--no-time-cues] [--admin-url URL]

On a throwaway embedded PostgreSQL (as memory_bench), loads every customer of
evals/longhistory/longhistory.json — calls through `ingest_call`, WhatsApp through
`save_message`, backdated to their sessions' dates — then asks `recall` each question in each
mode and prints hit@k (some evidence turn in the top k) and the covered share of the evidence
turns at k = 1, 3, 5, 10, overall and per language, question kind and time cue, with recall's
latency on this corpus. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from evals.bench.memory_bench import fmt_ms, scratch_database
from evals.longhistory.dataset import load_set
from evals.longhistory.scoring import KS, Loaded, Score, load_customer, score_questions, subset
from memory import Memory
from memory.database import open_pool
from memory.embeddings import LocalEmbeddings
from memory.migrate import migrate
from memory.recall import Mode, recall
from memory.store import ensure_vector_index


def row(label: str, score: Score) -> str:
    hit, cover = score.rates()
    hits = " ".join(f"{hit[k]:.3f}" for k in KS)
    covers = " ".join(f"{cover[k]:.3f}" for k in KS)
    return f"| {label:<24} | {score.n:>4} | {hits} | {covers} |"


async def main(args: argparse.Namespace) -> None:
    everything = load_set()
    data = subset(everything, [c["key"] for c in everything["customers"][: args.customers]])
    questions = data["questions"]
    async with scratch_database(args.admin_url) as url:
        await migrate(url)
        embeddings = LocalEmbeddings()
        embeddings.warm_up()
        memory = Memory(pool=await open_pool(url, max_size=4), embeddings=embeddings, url=url)
        await ensure_vector_index(memory)
        loaded = Loaded()
        start = time.perf_counter()
        for customer in data["customers"]:
            await load_customer(memory, customer, loaded)
        sessions = sum(len(c["sessions"]) for c in data["customers"])
        async with memory.pool.connection() as conn:
            row_ = await (await conn.execute("SELECT count(*) AS n FROM memory_chunks")).fetchone()
        chunks = row_["n"] if row_ else 0
        print(
            f"loaded {len(data['customers'])} customers, {sessions} sessions, {chunks} chunks "
            f"in {time.perf_counter() - start:.1f} s; {len(questions)} questions"
        )
        options = {"time_cues": not args.no_time_cues, "timezone": args.timezone}
        header = " ".join(f"@{k:<4}" for k in KS)
        print(f"\n| {'mode / slice':<24} | {'n':>4} | hit {header} | covered {header} |")
        for mode in args.modes:
            scores = await score_questions(memory, questions, loaded, mode, **options)
            print(row(mode, scores["all"]))
            for key in sorted(scores):
                if key != "all" and key.split("=")[0] in args.by:
                    print(row(f"  {key}", scores[key]))
        print()
        for mode in args.modes:
            seconds = []
            for q in questions[: args.timed]:
                customer_id = loaded.customer_ids[q["customer"]]
                started = time.perf_counter()
                await recall(memory, customer_id, q["question"], k=5, mode=mode, **options)
                seconds.append(time.perf_counter() - started)
            print(f"recall {mode:<6} latency, k=5, {len(seconds)} queries: {fmt_ms(seconds)}")
        await memory.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=12, help="the first N customers")
    modes: list[Mode] = ["hybrid", "vector", "text"]
    parser.add_argument("--modes", nargs="+", default=modes, choices=modes)
    parser.add_argument("--by", nargs="*", default=["lang", "kind", "cue"])
    parser.add_argument("--timed", type=int, default=200, help="questions timed per mode")
    parser.add_argument("--no-time-cues", action="store_true", help="recall without time cues")
    parser.add_argument("--timezone", default="America/Bogota", help="the sessions' calendar")
    parser.add_argument("--admin-url", help="superuser URL of a server to use instead")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
