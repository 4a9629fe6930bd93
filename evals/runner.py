"""Run eval cases through the real code, each on a database of its own.

The runner starts a throwaway PostgreSQL (the embedded one, in a temporary directory; or the
server at `HILO_EVAL_DATABASE_URL`, where it may create databases), migrates a template database
once and clones it for every case (`CREATE DATABASE … TEMPLATE`, a file copy), so no case sees
another's rows. A case's call goes through `agent.ingest.ingest_call`, the post-call job's own
path (store, analyse, follow-up); each turn through `agent.run_turn`, the WhatsApp worker's;
replies and follow-ups are delivered by `channels.delivery.deliver` to the console channel, so
the 24-hour window and opt-out rules apply as in production and nothing leaves the machine.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from agent import Inbound, TurnResult, build_agent, run_turn
from agent.ingest import ingest_call
from agent.models import build_model
from channels.elevenlabs import call_record
from config import Settings
from evals.cases import Case
from evals.checks import CaseOutcome, TurnOutcome, check_case, check_turn
from memory import Escalation, Memory, get_or_create_customer, set_language, set_opted_out
from memory.admin import create_database, drop_database
from memory.audit import last_message_id
from memory.database import open_pool, start_embedded_postgres
from memory.embeddings import build_embeddings
from memory.migrate import migrate
from memory.store import ensure_vector_index
from tools.outbox import Console, Outbox

log = logging.getLogger(__name__)


@dataclass
class RecordingNotifier:
    opened: list[int] = field(default_factory=list)

    async def escalation_opened(self, escalation: Escalation) -> None:
        self.opened.append(escalation.id)


@dataclass
class EvalDatabase:
    """A PostgreSQL server with a migrated template; `case_database()` clones it."""

    admin_url: str
    template: str

    @asynccontextmanager
    async def case_database(self) -> AsyncIterator[str]:
        name = "hilo_eval_" + uuid.uuid4().hex[:12]
        url = create_database(self.admin_url, name, template=self.template)
        try:
            yield url
        finally:
            drop_database(self.admin_url, name)

    def drop(self) -> None:
        drop_database(self.admin_url, self.template)


async def prepare_database(
    settings: Settings, embeddings: Any, admin_url: str | None = None
) -> EvalDatabase:
    admin_url = (
        admin_url
        or os.environ.get("HILO_EVAL_DATABASE_URL")
        or start_embedded_postgres(Path(tempfile.mkdtemp(prefix="hilo-eval-")))
    )
    template = "hilo_eval_template_" + uuid.uuid4().hex[:8]
    url = create_database(admin_url, template)
    await migrate(url)
    pool = await open_pool(url, min_size=1, max_size=2)
    try:
        memory = Memory(pool=pool, embeddings=embeddings, url=url)
        await ensure_vector_index(memory)
        # The checkpoint tables go in the template too, so each case only clones them.
        await build_agent(settings, memory, model=build_model(settings, embeddings))
    finally:
        await pool.close()
    return EvalDatabase(admin_url=admin_url, template=template)


@dataclass
class Evaluator:
    """Everything shared by the cases of one run: settings, embeddings, the model, the server."""

    settings: Settings
    embeddings: Any
    model: BaseChatModel
    database: EvalDatabase

    @classmethod
    async def start(cls, settings: Settings, *, admin_url: str | None = None) -> Evaluator:
        embeddings = build_embeddings(settings)
        embeddings.warm_up()
        model = build_model(settings, embeddings)
        database = await prepare_database(settings, embeddings, admin_url)
        return cls(settings=settings, embeddings=embeddings, model=model, database=database)

    def close(self) -> None:
        self.database.drop()

    async def run_case(self, case: Case) -> CaseOutcome:
        started = time.perf_counter()
        async with self.database.case_database() as url:
            pool = await open_pool(url, min_size=1, max_size=4)
            memory = Memory(
                pool=pool,
                embeddings=self.embeddings,
                default_region=self.settings.default_region,
                default_language=self.settings.language,
                url=url,
            )
            try:
                outcome = await self._run(memory, case)
            except Exception as exc:  # a crash is a failed case, reported with its error
                log.exception("eval case crashed", extra={"case": case.id})
                outcome = CaseOutcome(case_id=case.id, error=f"{type(exc).__name__}: {exc}")
            finally:
                await pool.close()
        outcome.seconds = time.perf_counter() - started
        return outcome

    async def _run(self, memory: Memory, case: Case) -> CaseOutcome:
        # The same two steps as production (store `pending`, then `deliver`), without the queue.
        sender = Outbox(memory, Console(self.settings))
        notifier = RecordingNotifier()
        agent = await build_agent(
            self.settings, memory, sender=sender, notifier=notifier, model=self.model
        )

        async def ingest(payload: dict[str, Any] | None) -> Any:
            if payload is None:
                return None
            return await ingest_call(
                memory,
                call_record(payload),
                model=self.model,
                sender=sender,
                timezone=self.settings.timezone,
            )

        other_ids = []
        for other in case.others:
            customer = await _customer(memory, other.customer)
            other_ids.append(customer.id)
            await ingest(other.call)
        customer = await _customer(memory, case.customer)
        ingested = await ingest(case.call)
        setup_until = await last_message_id(memory)
        outcome = CaseOutcome(case_id=case.id, customer_id=customer.id)
        if ingested is not None and ingested.analysis is not None:
            outcome.call_summary = ingested.analysis.summary
        for index, turn in enumerate(case.turns):
            media = [m.model_dump() for m in turn.media] or None
            text = turn.customer
            if turn.transcript is not None and media:
                text = turn.transcript  # the voice note, transcribed (server.jobs.inbound)
                media = [{**media[0], "transcribed": True}, *media[1:]]
            if turn.agent_asked:
                await sender.send_text(customer.id, turn.agent_asked, role="agent")
            result: TurnResult = await run_turn(
                agent,
                customer.id,
                "whatsapp",
                text,
                external_id=f"SMeval{index:04d}{uuid.uuid4().hex[:24]}",
                media=media,
                earlier=[Inbound(text=t) for t in turn.earlier],
            )
            turn_outcome = TurnOutcome.from_result(index, turn.customer, result)
            await check_turn(memory, customer.id, turn, turn_outcome)
            outcome.turns.append(turn_outcome)
        await check_case(memory, case, outcome, setup_until=setup_until, other_ids=other_ids)
        return outcome


async def _customer(memory: Memory, spec: Any) -> Any:
    customer = await get_or_create_customer(
        memory, spec.phone, name=spec.name, language=spec.language
    )
    if spec.language:
        await set_language(memory, customer.id, spec.language)
    if spec.opted_out:
        await set_opted_out(memory, customer.id, True)
    return customer


async def run_cases(
    settings: Settings,
    cases: list[Case],
    *,
    on_case: Callable[[CaseOutcome], None] | None = None,
) -> list[CaseOutcome]:
    """Run `cases` in order; `on_case` is told of each result as it comes (progress bars)."""
    evaluator = await Evaluator.start(settings)
    outcomes = []
    try:
        for case in cases:
            outcome = await evaluator.run_case(case)
            outcomes.append(outcome)
            if on_case is not None:
                on_case(outcome)
    finally:
        evaluator.close()
    return outcomes
