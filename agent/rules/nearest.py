"""Nearest-example intents: what the patterns miss, sentence embeddings may still recognise.

Regular expressions are precise but know only the words they list. When they find no intent,
the message is compared (cosine, with the memory's sentence embeddings: USE multilingual offline,
so Spanish and English share one space) with the example utterances of
`agent/rules/examples.jsonl`, and the closest example's intent counts if it is close enough.
Those examples are kept apart from the labelled test set (tests/agent/data/intents.jsonl).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from importlib import resources
from typing import Protocol

import numpy as np

# Measured on the labelled set: 0.4 recovered the most misses without taking unrelated
# questions ("¿venden bicicletas?") for an intent; 0.5 and 0.6 recovered fewer.
MIN_SIMILARITY = 0.4
# Sentences and words whose vectors are kept (least recently used out): a turn compares the
# same question, call lines and their words more than once (the hits kept, then the answer
# chosen); 8192 vectors of 512 floats are 16 MiB.
CACHED_SENTENCES = 8192


class SentenceEmbeddings(Protocol):
    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


class IntentIndex:
    """The example utterances, embedded once."""

    def __init__(self, embeddings: SentenceEmbeddings, min_similarity: float = MIN_SIMILARITY):
        lines = resources.files("agent.rules").joinpath("examples.jsonl").read_text("utf-8")
        examples = [json.loads(line) for line in lines.splitlines() if line.strip()]
        self._embeddings = embeddings
        self._labels = [e["intent"] for e in examples]
        self._matrix = _normalised(embeddings.embed_documents([e["text"] for e in examples]))
        self.min_similarity = min_similarity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()  # the eval's fake model answers in threads

    def nearest(self, text: str) -> tuple[str, float]:
        """The intent of the closest example, and its cosine similarity."""
        vector = _normalised(self._embeddings.embed_documents([text]))[0]
        scores = self._matrix @ vector
        best = int(np.argmax(scores))
        return self._labels[best], float(scores[best])

    def similarities(self, text: str, candidates: list[str]) -> list[float]:
        """Cosine similarity of `text` to each candidate (the same sentence embeddings)."""
        vectors = self._vectors([text, *candidates])
        return [float(x) for x in vectors[1:] @ vectors[0]]

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """The normalised vectors of `texts`, each sentence embedded once while it is cached."""
        with self._cache_lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for t in known:
                self._cache.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = _normalised(self._embeddings.embed_documents(missing))
            with self._cache_lock:
                for t, vector in zip(missing, fresh, strict=True):
                    known[t] = self._cache[t] = vector
                while len(self._cache) > CACHED_SENTENCES:
                    self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def intent(self, text: str) -> str | None:
        label, similarity = self.nearest(text)
        return label if similarity >= self.min_similarity and label != "unknown" else None


def _normalised(vectors: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)
