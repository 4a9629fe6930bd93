"""Recall: hybrid search over one customer's memory — pgvector cosine and BM25 full text, fused.

Both rankings are computed in one SQL statement, filtered to the customer in SQL, and fused by
weighted reciprocal rank. The keyword side is real BM25 over the customer's own chunks (term
frequencies from the stored `tsvector`, document frequencies and average length from that
customer's corpus), because on conversational memory keywords find evidence at least as often
as sentence vectors do (DESIGN.md). Spanish-stemmed and unstemmed ("simple") lexemes of the
accent-folded text are both indexed, so "presupuesto"/"presupuestos" and exact names both match;
stop words of either language, and words that only frame the question ("dijo", "mencionó",
"did", "give"; memory/query_words.json), are left out of the keyword query. A query with a
time cue ("la primera vez", "the last call", "en marzo") is searched without it over a larger
pool and reordered by session time (memory/time_cues.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal

from memory.chunks import fold_accents
from memory.store import Memory
from memory.time_cues import POOL, apply_cues, read_cues

Mode = Literal["hybrid", "vector", "text"]

# Fusion parameters, measured on tests/data/recall_labelled.json (49 queries, 21 of them
# cross-lingual; 13 calls of 5 customers; test_recall_labelled.py). Recall@1/@3/@5:
#   hybrid 0.612 / 0.918 / 0.939   vector 0.531 / 0.837 / 0.918   text 0.388 / 0.551 / 0.571
# (same-language queries: hybrid @3 0.964, text 0.857, vector 0.821; cross-lingual: hybrid =
# vector 0.857, text 0.143 — only names and numbers cross languages.) What moved the figures:
# USE without number denoising (vector @3 0.776 → 0.837), speaker labels out of the full-text
# index and stop words (es + en) out of the query (hybrid @3 0.816 → 0.878), TEXT_CUTOFF 0.5
# (0.878 → 0.918; 0.3 and 0.7 give 0.898). RRF_K (5…60), TEXT_WEIGHT (0.5…2) and BM25_K1/B
# (0.6…2.2 / 0.3…0.9) change @3 by at most one query once the cutoff is on, so they stay at
# the textbook values. Wider windows raise recall@k only by returning more turns per chunk (see
# memory/chunks.py).
RRF_K = 20
VECTOR_WEIGHT = 1.0
TEXT_WEIGHT = 1.0
BM25_K1 = 1.2
BM25_B = 0.75
CANDIDATES = 30
# In the fusion, a keyword match counts only when it scores at least this share of the best
# keyword match for the query (text-only mode keeps every match).
TEXT_CUTOFF = 0.5


# Question-frame words out of the keyword side (memory/query_words.json): "What budget did
# they give?" matched "Can you give me any discount?". The vector side keeps the whole question.
# On evals/longhistory (hybrid, customers c00–c05 / c06–c11) hit@1 0.770 → 0.788 / 0.766 →
# 0.799, hit@5 0.903 → 0.911 / 0.919 → 0.919; the labelled set above is unchanged. Taking the
# how-much words out too (cuánto, much) did better on evals/longhistory (@5 0.918 / 0.930) but
# cost two labelled queries (@3 0.918 → 0.878), whose answer windows hold the "¿Cuánto…?"
# that asked them. VECTOR_WEIGHT 1.5, TEXT_CUTOFF 0.3/0.7 and RRF_K 60 move hit@5 there by at
# most 0.4 points.


@cache
def _frame_words() -> frozenset[str]:
    data = json.loads(Path(__file__).with_name("query_words.json").read_text(encoding="utf-8"))
    return frozenset(w for k, words in data.items() if not k.startswith("_") for w in words)


def keyword_query(query: str) -> str:
    """The accent-folded query the keyword side searches: without question-frame words (all
    of them kept when nothing else is left)."""
    folded = fold_accents(query)
    words = re.findall(r"\w+", folded)
    kept = [w for w in words if w.lower() not in _frame_words()]
    return " ".join(kept) if kept else folded


@dataclass(frozen=True)
class RecallHit:
    """One recalled chunk of conversation."""

    chunk_id: int
    text: str
    channel: str
    occurred_at: datetime
    interaction_id: int
    first_seq: int
    last_seq: int
    score: float
    similarity: float | None
    keyword_score: float | None


_SQL = r"""
WITH words AS (
    -- Stop words in either language would match nearly every chunk: they only add noise.
    SELECT DISTINCT w FROM unnest(tsvector_to_array(to_tsvector('simple', %(folded)s))) AS w
    WHERE to_tsvector('spanish', w) <> ''::tsvector AND to_tsvector('english', w) <> ''::tsvector
),
q AS (
    SELECT w AS term FROM words
    UNION
    SELECT unnest(tsvector_to_array(to_tsvector('spanish', w))) FROM words
),
docs AS (
    SELECT id, token_count, embedding
    FROM memory_chunks
    WHERE customer_id = %(customer)s AND embedding_model = %(model)s
      AND (%(channel)s::text IS NULL OR channel = %(channel)s)
      AND (%(before)s::timestamptz IS NULL OR occurred_at < %(before)s::timestamptz)
),
corpus AS (
    SELECT count(*)::float8 AS n, greatest(avg(token_count), 1)::float8 AS avgdl FROM docs
),
matching AS (
    -- Only chunks holding a query term have terms worth counting; the GIN index finds them.
    -- (A lexeme is quoted for tsquery input by doubling its quotes and backslashes.)
    SELECT id, tsv, token_count
    FROM memory_chunks
    WHERE %(use_text)s AND customer_id = %(customer)s AND embedding_model = %(model)s
      AND (%(channel)s::text IS NULL OR channel = %(channel)s)
      AND (%(before)s::timestamptz IS NULL OR occurred_at < %(before)s::timestamptz)
      AND tsv @@ (SELECT string_agg(
                      '''' || replace(replace(term, '\', '\\'), '''', '''''') || '''',
                      ' | ')::tsquery
                  FROM q)
),
tf AS (
    SELECT d.id, u.lexeme, coalesce(array_length(u.positions, 1), 1)::float8 AS tf,
           d.token_count::float8 AS dl
    FROM matching d CROSS JOIN LATERAL unnest(d.tsv) AS u
    WHERE u.lexeme IN (SELECT term FROM q)
),
df AS (SELECT lexeme, count(DISTINCT id)::float8 AS df FROM tf GROUP BY lexeme),
text_ranked AS (
    SELECT tf.id,
           sum(ln(1 + (corpus.n - df.df + 0.5) / (df.df + 0.5))
               * tf.tf * (%(k1)s + 1)
               / (tf.tf + %(k1)s * (1 - %(b)s + %(b)s * tf.dl / corpus.avgdl))) AS bm25
    FROM tf JOIN df USING (lexeme) CROSS JOIN corpus
    GROUP BY tf.id
    ORDER BY bm25 DESC, tf.id
    LIMIT %(candidates)s
),
vector_ranked AS (
    SELECT id, 1 - (embedding::vector({dims}) <=> %(vector)s::vector({dims})) AS similarity
    FROM docs
    WHERE %(use_vector)s
    ORDER BY embedding::vector({dims}) <=> %(vector)s::vector({dims}), id
    LIMIT %(candidates)s
),
text_fused AS (
    -- In the fusion, a keyword match counts only if it scores at least TEXT_CUTOFF of the best
    -- one: weak matches (one common stem) would otherwise outrank good vector hits.
    SELECT id, bm25 FROM text_ranked
    WHERE NOT %(use_vector)s OR bm25 >= %(cutoff)s * (SELECT max(bm25) FROM text_ranked)
),
ranks AS (
    SELECT id, row_number() OVER (ORDER BY similarity DESC, id) AS rank,
           %(wv)s::float8 AS weight FROM vector_ranked
    UNION ALL
    SELECT id, row_number() OVER (ORDER BY bm25 DESC, id), %(wt)s::float8 FROM text_fused
),
fused AS (
    SELECT id, sum(weight / (%(rrf_k)s + rank)) AS score FROM ranks GROUP BY id
)
SELECT c.id AS chunk_id, c.text, c.channel, c.occurred_at, c.interaction_id, c.first_seq,
       c.last_seq, f.score, v.similarity, t.bm25 AS keyword_score
FROM fused f
JOIN memory_chunks c ON c.id = f.id
LEFT JOIN vector_ranked v ON v.id = f.id
LEFT JOIN text_ranked t ON t.id = f.id
ORDER BY f.score DESC, c.occurred_at DESC, c.id
LIMIT %(k)s
"""


async def recall(
    memory: Memory,
    customer_id: int,
    query: str,
    k: int = 5,
    channel: str | None = None,
    *,
    mode: Mode = "hybrid",
    before: datetime | None = None,
    time_cues: bool = True,
    timezone: str = "UTC",
) -> list[RecallHit]:
    """The `k` chunks of this customer's conversations most relevant to `query`.

    Only this customer's chunks are ever searched (the filter is in SQL). `channel` limits the
    search to `call`, `whatsapp`, … `mode` isolates one side, for measurement. `before` leaves
    out chunks from that moment on — the agent passes its turn's start, so the customer's own
    message (already stored and indexed) is neither a result nor the best keyword match that
    the others are cut against, and the corpus statistics are those of what came before.

    A query with a time cue ("la última vez", "the first call", "en marzo") is searched without
    the cue's words over a larger pool, reordered by session time (memory/time_cues.py), in
    `timezone`'s calendar; `time_cues=False` turns that off, for measurement.
    """
    query = (query or "").replace("\x00", "").strip()  # PostgreSQL text has no NUL
    if not query or k <= 0:
        return []
    if time_cues:
        cues, rest = read_cues(query)
        if cues.any:
            pool = await _search(memory, customer_id, rest, max(POOL, k), channel, mode, before)
            return apply_cues(pool, cues, now=before, timezone=timezone)[:k]
    return await _search(memory, customer_id, query, k, channel, mode, before)


async def _search(
    memory: Memory,
    customer_id: int,
    query: str,
    k: int,
    channel: str | None,
    mode: Mode,
    before: datetime | None,
) -> list[RecallHit]:
    use_vector = mode in ("hybrid", "vector")
    use_text = mode in ("hybrid", "text")
    dims = int(memory.embeddings.dimensions)
    if use_vector:
        vector = await memory.embeddings.aembed_query(query)
    else:
        vector = [0.0] * dims
    params = {
        "customer": customer_id,
        "model": memory.embeddings.model_name,
        "channel": channel,
        "before": before,
        "folded": keyword_query(query),
        "vector": "[" + ",".join(f"{x:.6g}" for x in vector) + "]",
        "use_text": use_text,
        "use_vector": use_vector,
        "k1": BM25_K1,
        "b": BM25_B,
        "candidates": max(CANDIDATES, k),
        "wv": VECTOR_WEIGHT,
        "wt": TEXT_WEIGHT,
        "rrf_k": RRF_K,
        "cutoff": TEXT_CUTOFF,
        "k": k,
    }
    async with memory.pool.connection() as conn:
        rows = await (await conn.execute(_SQL.replace("{dims}", str(dims)), params)).fetchall()
    return [RecallHit(**row) for row in rows]
