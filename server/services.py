"""What the web app and the worker share: settings, memory, the agent, channels and jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import procrastinate

from agent import Agent, build_agent
from channels.twilio import ConsoleChannel, TwilioChannel, build_whatsapp_channel
from config import Settings
from memory import Memory, open_memory
from server.jobs import runtime
from server.jobs.alerts import AlertNotifier
from server.jobs.app import (
    RunningWorker,
    create_job_app,
    ensure_job_schema,
    start_worker,
    stop_worker,
)
from server.jobs.whatsapp import queued_outbox


@dataclass
class Services:
    settings: Settings
    memory: Memory
    agent: Agent
    whatsapp: TwilioChannel | ConsoleChannel
    jobs: procrastinate.App
    worker: RunningWorker | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    async def start_worker(self, concurrency: int = 4) -> RunningWorker:
        if self.worker is None:
            self.worker = start_worker(
                self.jobs,
                self.memory.url,
                concurrency=concurrency,
                retry_budget=self.settings.worker_retry_budget,
                stalled_after=self.settings.job_stalled_after,
            )
        return self.worker

    async def stop_worker(self) -> None:
        if self.worker is not None:
            await stop_worker(self.worker)
            self.worker = None

    async def close(self) -> None:
        await self.stop_worker()
        await self.jobs.close_async()
        await self.memory.close()


async def start_services(
    settings: Settings,
    *,
    url: str | None = None,
    whatsapp: TwilioChannel | ConsoleChannel | None = None,
) -> Services:
    """Database (embedded or DATABASE_URL), migrations, job schema, pool, embeddings, agent."""
    memory = await open_memory(settings, url=url, pool_size=settings.db_pool_size)
    await ensure_job_schema(memory.url)
    jobs = create_job_app(memory.url, stalled_after=settings.job_stalled_after)
    await jobs.open_async()
    agent = await build_agent(
        settings, memory, sender=queued_outbox(memory), notifier=AlertNotifier(memory, settings)
    )
    services = Services(
        settings=settings,
        memory=memory,
        agent=agent,
        whatsapp=whatsapp or build_whatsapp_channel(settings),
        jobs=jobs,
    )
    runtime.set_services(services)
    return services
