"""What the web app and the worker share: settings and the memory handle (more join later)."""

from __future__ import annotations

from dataclasses import dataclass

from config import Settings
from memory import Memory, open_memory


@dataclass
class Services:
    settings: Settings
    memory: Memory

    async def close(self) -> None:
        await self.memory.close()


async def start_services(settings: Settings, *, url: str | None = None) -> Services:
    """Database (embedded or DATABASE_URL), migrations, pool and embeddings."""
    memory = await open_memory(settings, url=url)
    return Services(settings=settings, memory=memory)
