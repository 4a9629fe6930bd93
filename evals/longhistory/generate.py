"""Generate longhistory.json: customers with 20–30 sessions over months and labelled questions.

    python -m evals.longhistory.generate [--seed 17] [--out evals/longhistory/longhistory.json]

Stdlib only and seeded, so the same seed writes the same file. Each customer (half Spanish,
half English) gets sessions — calls and WhatsApp conversations — on distinct days between
January and October 2026. Some topics (topics.py) come up once; others come up two or three
times, in different months, with a different value each time: their questions carry a time cue
("la primera vez", "on the last call", "en marzo") and only the cued session is evidence.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from evals.longhistory.dataset import DATA, validate
from evals.longhistory.topics import (
    AGENTS,
    BUSINESSES,
    CLOSING,
    CUES,
    CUSTOMER_NAMES,
    FILLER,
    MONTHS,
    OPENING,
    TOPICS,
    Topic,
)

BOGOTA = timezone(timedelta(hours=-5))
START = datetime(2026, 1, 5, tzinfo=BOGOTA)
DAYS = 296  # to late October
REPEATED = 6  # topics per customer that come up in two or three sessions
ONCE = 7  # topics per customer that come up once
PER_SESSION = 3  # at most this many topics in one session


def session_dates(rng: random.Random, count: int) -> list[datetime]:
    days = sorted(rng.sample(range(DAYS), count))
    return [
        START + timedelta(days=d, hours=rng.randint(8, 18), minutes=rng.choice([0, 15, 30, 45]))
        for d in days
    ]


def place_topics(
    rng: random.Random, sessions: list[dict[str, Any]], topics: list[Topic]
) -> dict[str, list[int]]:
    """Session indexes per topic: repeated topics in distinct months, at most PER_SESSION each."""
    load = [0] * len(sessions)
    placed: dict[str, list[int]] = {}
    for n, topic in enumerate(topics):
        times = rng.choice([2, 3]) if n < REPEATED else 1
        by_month: dict[int, list[int]] = {}
        for i, s in enumerate(sessions):
            if load[i] < PER_SESSION:
                by_month.setdefault(s["date"].month, []).append(i)
        months = rng.sample(sorted(by_month), min(times, len(by_month)))
        chosen = sorted(rng.choice(by_month[m]) for m in months)
        for i in chosen:
            load[i] += 1
        placed[topic.key] = chosen
    return placed


def build_customer(rng: random.Random, n: int, lang: str) -> tuple[dict[str, Any], list[dict]]:
    key = f"c{n:02d}"
    name = CUSTOMER_NAMES[lang][n // 2 % len(CUSTOMER_NAMES[lang])]
    business = BUSINESSES[lang][n // 2 % len(BUSINESSES[lang])]
    agent = rng.choice(AGENTS[lang])
    count = rng.randint(20, 30)
    sessions: list[dict[str, Any]] = [
        {"date": d, "channel": rng.choice(["call", "whatsapp"])} for d in session_dates(rng, count)
    ]
    topics = rng.sample(TOPICS, REPEATED + ONCE)
    placed = place_topics(rng, sessions, topics)
    in_session: dict[int, list[Topic]] = {}
    for topic in topics:
        for i in placed[topic.key]:
            in_session.setdefault(i, []).append(topic)
    evidence: dict[tuple[str, int], list[str]] = {}  # (topic, session index) -> turn ids
    out_sessions = []
    for i, s in enumerate(sessions):
        sid = f"{key}-s{i:02d}"
        lines: list[tuple[str, str, str | None]] = [
            (role, text.format(name=name.split()[0], agent=agent, business=business), None)
            for role, text in OPENING[lang][s["channel"]]
        ]
        here = in_session.get(i, [])
        rng.shuffle(here)
        for topic in here:
            if rng.random() < 0.5:
                pair = rng.randrange(0, len(FILLER[lang]), 2)
                lines += [(r, t, None) for r, t in FILLER[lang][pair : pair + 2]]
            texts = topic.text(lang)
            value = topic.value(rng, lang)
            answerer = "agent" if topic.asker == "customer" else "customer"
            lines.append((topic.asker, texts["ask"], None))
            lines.append((answerer, texts["answer"].format(v=value), topic.key))
            if texts["confirm"] and rng.random() < 0.6:
                lines.append((topic.asker, texts["confirm"].format(v=value), topic.key))
        for _ in range(rng.randint(1, 3) if not here else rng.randint(0, 1)):
            pair = rng.randrange(0, len(FILLER[lang]), 2)
            lines += [(r, t, None) for r, t in FILLER[lang][pair : pair + 2]]
        lines += [(r, t, None) for r, t in CLOSING[lang]]
        turns = []
        for t, (role, text, topic_key) in enumerate(lines):
            tid = f"{sid}-t{t:02d}"
            turns.append({"id": tid, "role": role, "text": text})
            if topic_key is not None:
                evidence.setdefault((topic_key, i), []).append(tid)
        out_sessions.append(
            {
                "id": sid,
                "channel": s["channel"],
                "started_at": s["date"].isoformat(),
                "turns": turns,
            }
        )
    customer = {
        "key": key,
        "name": name,
        "phone": f"+57 310 555 {n + 100:04d}" if lang == "es" else f"+1 646 201 {n + 100:04d}",
        "language": lang,
        "business": business,
        "sessions": out_sessions,
    }
    questions = make_questions(rng, key, lang, topics, placed, sessions, evidence)
    return customer, questions


def make_questions(
    rng: random.Random,
    key: str,
    lang: str,
    topics: list[Topic],
    placed: dict[str, list[int]],
    sessions: list[dict[str, Any]],
    evidence: dict[tuple[str, int], list[str]],
) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []

    def ask(topic: Topic, kind: str, text: str, at: int, cue: str | None = None) -> None:
        questions.append(
            {
                "id": f"{key}-q{len(questions):02d}",
                "customer": key,
                "language": lang,
                "kind": kind,
                "topic": topic.key,
                "cue": cue,
                "question": text,
                "evidence": evidence[(topic.key, at)],
                "session": f"{key}-s{at:02d}",
            }
        )

    for topic in topics:
        texts = topic.text(lang)
        at = placed[topic.key]
        if len(at) == 1:
            ask(topic, "direct", texts["direct"], at[0])
            ask(topic, "paraphrase", texts["para"], at[0])
            if topic.fact and texts["fact"]:
                ask(topic, "fact", texts["fact"], at[0])
            continue
        cues = CUES[lang]
        ask(topic, "time", texts["cue"].format(cue=rng.choice(cues["earliest"])), at[0], "earliest")
        ask(topic, "time", texts["cue"].format(cue=rng.choice(cues["latest"])), at[-1], "latest")
        month_at = rng.choice(at)
        month = MONTHS[lang][sessions[month_at]["date"].month - 1]
        cue = cues["month"][0].format(month=month)
        ask(topic, "time", texts["cue"].format(cue=cue), month_at, "month")
        for channel in ("call", "whatsapp"):
            on = [i for i in at if sessions[i]["channel"] == channel]
            # Only when the channel changes the answer: "the last call" is not "last time".
            if on and on[-1] != at[-1]:
                phrase = rng.choice(cues[f"latest_{channel}"])
                ask(topic, "time", texts["cue"].format(cue=phrase), on[-1], f"latest_{channel}")
            elif on and on[0] != at[0]:
                phrase = rng.choice(cues[f"earliest_{channel}"])
                ask(topic, "time", texts["cue"].format(cue=phrase), on[0], f"earliest_{channel}")
    return questions


def generate(seed: int, customers: int = 12) -> dict[str, Any]:
    rng = random.Random(seed)
    out_customers, questions = [], []
    for n in range(customers):
        customer, asked = build_customer(rng, n, "es" if n % 2 == 0 else "en")
        out_customers.append(customer)
        questions += asked
    return validate(
        {
            "name": "hilo-longhistory",
            "licence": "CC0-1.0",
            "seed": seed,
            "generated_by": "python -m evals.longhistory.generate",
            "created": datetime(2026, 12, 3, tzinfo=UTC).date().isoformat(),
            "customers": out_customers,
            "questions": questions,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--customers", type=int, default=12)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    data = generate(args.seed, args.customers)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sessions = sum(len(c["sessions"]) for c in data["customers"])
    by_lang = {lang: sum(q["language"] == lang for q in data["questions"]) for lang in ("es", "en")}
    print(
        f"{args.out}: {len(data['customers'])} customers, {sessions} sessions, "
        f"{len(data['questions'])} questions ({by_lang})"
    )


if __name__ == "__main__":
    main()
