"""The memory handle every part of Hilo receives: the pool, the embeddings and a few defaults.

`open_memory(settings)` does the whole start-up: database (embedded or `DATABASE_URL`), pgvector,
migrations, the pool, the embedding model and its vector index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from memory.database import Pool, database_url, open_pool, schema_lock
from memory.embeddings import NamedEmbeddings, build_embeddings, index_name
from memory.migrate import migrate
from memory.settings import MemorySettings

log = logging.getLogger(__name__)


@dataclass
class Memory:
    """What memory functions need: a pool, the embedding model and the phone region."""

    pool: Pool
    embeddings: NamedEmbeddings
    default_region: str = "CO"
    default_language: str = "es"
    url: str = ""

    async def close(self) -> None:
        await self.pool.close()


async def ensure_vector_index(memory: Memory) -> None:
    """Create the partial HNSW cosine index for the configured model, if it is missing."""
    model = memory.embeddings.model_name
    dims = int(memory.embeddings.dimensions)
    name = index_name(model)
    # Under the schema lock: two processes starting together would both see it missing.
    async with memory.pool.connection() as conn, schema_lock(conn):
        await conn.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON memory_chunks USING hnsw "  # noqa: S608
            f"((embedding::vector({dims})) vector_cosine_ops) "
            f"WHERE embedding_model = '{model.replace(chr(39), '')}'"
        )


async def open_memory(
    settings: MemorySettings,
    *,
    url: str | None = None,
    run_migrations: bool = True,
    pool_size: int = 10,
    warm_up: bool = True,
) -> Memory:
    """Start everything memory needs and return the handle (close it with `await m.close()`).

    `warm_up=False` leaves the embedding model to load on its first use: the CLI's commands
    that never embed (`calls`, `operators`) then start without its ~1.5 s load.
    """
    url = url or database_url(settings)
    if run_migrations:
        await migrate(url)
    embeddings = build_embeddings(settings)
    if warm_up:
        embeddings.warm_up()
    pool = await open_pool(url, max_size=pool_size)
    memory = Memory(
        pool=pool,
        embeddings=embeddings,
        default_region=settings.default_region,
        default_language=settings.language,
        url=url,
    )
    await ensure_vector_index(memory)
    return memory
