"""A spoken turn of a live call: `voice_turn(agent, call)` yields what to say as it is known.

The voice platform (ElevenLabs' Custom LLM) sends the whole call so far on every turn. Here its
turns not stored yet are stored as live turns (`memory.live_calls`), the same graph runs on the
customer's one thread on channel `voice` (memory in the prompt, Hilo's tools run inside Hilo,
the platform's tools handed back), and the model's words are yielded as they stream
(`Said`), then the platform's tool calls (`Handed`) and the end (`Ended`). The answer is
stored as a live turn too, after the end is yielded, so the caller never waits for it. The
turn's memory (the customer's context, the recall for the caller's words) is read while the
call's turns are stored, and the graph takes it from there (`TurnContext.prefetched`).

If the request stops (the caller interrupted and the platform hung up on the request), the
graph run is cancelled with it: nothing of that turn is checkpointed, and the words the caller
did hear come back in the next request's dialogue and are stored then.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal
from weakref import WeakValueDictionary

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

import prompts
from agent.context import READ_CHARS, TurnContext, VoiceMemory
from agent.language import detect_language
from agent.nodes import voice_memory
from agent.tool_deps import tool_deps
from agent.turn import Agent
from agent.voice_prompt import trouble_phrase
from memory import Customer, get_customer, set_language
from memory.live_calls import LiveAnswer, LiveTurn, record_live_answers, record_live_turns
from memory.phases import Phases, mark, phase, start_phases

log = logging.getLogger(__name__)
phase_log = logging.getLogger("hilo.phases")  # DEBUG: the work before the model, per turn
Role = Literal["customer", "agent"]
_WORDS = re.compile(r"\S+\s*")
PIECE_WORDS = 4  # a reply that comes whole (the rules model) is yielded a few words at a time


@dataclass(frozen=True)
class SpokenTurn:
    role: Role
    text: str


@dataclass
class VoiceCall:
    """One Custom LLM request, bound: whose call, and the call so far as the platform sends it
    (its turns in order, the system prompt left out)."""

    customer_id: int
    call_ref: str
    dialogue: list[SpokenTurn]
    client_tools: list[dict[str, Any]] = field(default_factory=list)
    customer: Customer | None = None  # as read when the request was bound (saves a read)
    phases: Phases | None = None  # the request's timing, begun when it arrived


@dataclass(frozen=True)
class Said:
    text: str


@dataclass(frozen=True)
class Handed:
    calls: list[dict[str, Any]]  # {"id", "name", "args"}: for the platform to run


@dataclass(frozen=True)
class Ended:
    prompt_tokens: int = 0
    completion_tokens: int = 0


VoiceEvent = Said | Handed | Ended
_locks: WeakValueDictionary[int, asyncio.Lock] = WeakValueDictionary()
_storing: set[asyncio.Task[Any]] = set()  # the storer of answers, while it runs
_storer: asyncio.Task[None] | None = None
_pending: list[tuple[Any, LiveAnswer]] = []  # (memory, answer): answers ended, not stored yet
_turns: dict[int, Phases] = {}  # the turns being answered in this process, by id of their Phases
_waiting: list[asyncio.Future[None]] = []  # answers to store once no turn is before its model
# An answer is stored once no turn is on its way to the model (its work before the model is
# what the caller waits for; the store's embedding and writes would hold it up on a busy
# process), or after this long at most. Typically it runs while the models think.
STORE_WAIT_S = 0.5
# Answers stored together at most: their chunks are embedded in one batch (~2 ms a chunk from
# 4 on, instead of ~3 ms one at a time), which holds the event loop ~10 ms at most.
STORE_BATCH = 4


def _lock(customer_id: int) -> asyncio.Lock:
    lock = _locks.get(customer_id)
    if lock is None:
        lock = _locks[customer_id] = asyncio.Lock()
    return lock


async def _customer(memory: Any, call: VoiceCall) -> Customer:
    return call.customer or await get_customer(memory, call.customer_id)


def _pieces(text: str) -> list[str]:
    words = _WORDS.findall(text)
    return ["".join(words[i : i + PIECE_WORDS]) for i in range(0, len(words), PIECE_WORDS)]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(
            str(b.get("text", "")) if isinstance(b, dict) else str(b)
            for b in content
            if not isinstance(b, dict) or b.get("type", "text") == "text"
        )
    return ""


def graph_input(dialogue: list[SpokenTurn], include: set[int]) -> list[BaseMessage]:
    """The call's turns the thread does not have yet, in order; the caller's last words (every
    customer turn since the agent last spoke) as this turn's one customer message."""
    last_agent = max((i for i, t in enumerate(dialogue) if t.role == "agent"), default=-1)
    messages: list[BaseMessage] = [
        AIMessage(content=t.text) if t.role == "agent" else HumanMessage(content=t.text)
        for i, t in enumerate(dialogue[: last_agent + 1])
        if i in include
    ]
    words = " ".join(t.text.strip() for t in dialogue[last_agent + 1 :] if t.text.strip())
    messages.append(HumanMessage(content=words[:READ_CHARS]))
    return messages


async def voice_turn(agent: Agent, call: VoiceCall) -> AsyncIterator[VoiceEvent]:
    """What to say on this turn of the call (see the module docstring)."""
    call.phases = phases = start_phases(call.phases)  # the tasks started from here note into it
    _turns[id(phases)] = phases
    phases.on_mark = _wake_stores
    try:
        async for event in _voice_turn(agent, call):
            yield event
    finally:
        _turns.pop(id(phases), None)
        _wake_stores("model")


async def _voice_turn(agent: Agent, call: VoiceCall) -> AsyncIterator[VoiceEvent]:
    memory = agent.memory
    dialogue = call.dialogue
    answer_seq = len(dialogue)
    if not dialogue:
        customer = await _customer(memory, call)
        # The platform asks for the first words of the call (no first message configured).
        first = (
            prompts.entry(
                "call_start", "first_message_named", customer.language, name=customer.name
            )
            if customer.name
            else prompts.entry("call_start", "first_message", customer.language)
        )
        for piece in _pieces(first):
            yield Said(piece)
        yield Ended()
        _store_later(agent, call, answer_seq, first, [], customer.language)
        return
    if not dialogue or dialogue[-1].role != "customer":
        yield Ended()  # nothing new from the caller (a tool result came back): stay silent
        return
    # The turn's memory (context, recall) is read while the call's turns are stored: neither
    # waits for the other, and the graph's guard and load_context take it from here.
    words = str(graph_input(dialogue, set())[-1].content)
    prefetched = asyncio.ensure_future(
        voice_memory(
            tool_deps(
                agent,
                call.customer_id,
                channel="voice",
                language=call.customer.language if call.customer else memory.default_language,
            ),
            words,
        )
    )
    try:
        async for event in _answer(agent, call, prefetched):
            yield event
    finally:
        if not prefetched.done():
            prefetched.cancel()
        # An answer that stopped early (a repeated request, a failed store) leaves it unread.
        await asyncio.gather(prefetched, return_exceptions=True)


async def _answer(
    agent: Agent, call: VoiceCall, prefetched: asyncio.Future[VoiceMemory]
) -> AsyncIterator[VoiceEvent]:
    memory = agent.memory
    dialogue = call.dialogue
    answer_seq = len(dialogue)
    phases = call.phases or Phases()
    stored = record_live_turns(
        memory,
        call.customer_id,
        call.call_ref,
        [LiveTurn(i, t.role, t.text) for i, t in enumerate(dialogue)],
        answer_seq=answer_seq,
    )
    with phase("live_turns"):
        if call.customer is not None:  # bound with its customer read: no task for a read
            customer, live = call.customer, await stored
        else:
            customer, live = await asyncio.gather(_customer(memory, call), stored)
    if live.answered is not None:  # the same request again: the same answer, once stored
        for piece in _pieces(live.answered):
            yield Said(piece)
        yield Ended()
        return
    last_agent = max((i for i, t in enumerate(dialogue) if t.role == "agent"), default=-1)
    heard = [LiveTurn(i, t.role, t.text) for i, t in enumerate(dialogue) if i > last_agent]
    messages = graph_input(dialogue, set(live.new_seqs))
    text = str(messages[-1].content)
    language = detect_language(text, default=customer.language) if text else customer.language
    if language != customer.language:
        await set_language(memory, customer.id, language)
    context = TurnContext(
        deps=tool_deps(agent, customer.id, channel="voice", language=language),
        max_steps=agent.settings.max_agent_steps,
        timezone=agent.settings.timezone,
        client_tools=call.client_tools,
        prefetched=prefetched,
    )
    spoken: list[str] = []
    final: dict[str, Any] = {}
    mark("graph")
    try:
        async with _lock(customer.id):
            async for mode, payload in agent.graph.astream(
                {
                    "messages": messages,
                    "customer_id": customer.id,
                    "channel": "voice",
                    "language": language,
                    "media": None,
                },
                {
                    "configurable": {"thread_id": str(customer.id)},
                    "recursion_limit": 2 * agent.settings.max_agent_steps + 10,
                },
                durability="exit",
                context=context,
                stream_mode=["messages", "values"],
            ):
                if mode == "values":
                    final = payload
                    continue
                message, meta = payload
                if meta.get("langgraph_node") != "model":
                    continue
                words = _text(message.content)
                if not words:
                    continue
                if not spoken:
                    _log_phases(phases, customer.id)
                for piece in [words] if isinstance(message, AIMessageChunk) else _pieces(words):
                    spoken.append(piece)
                    yield Said(piece)
    except Exception:
        # A broken turn must not leave the caller in silence; the error is logged whole.
        log.exception("voice turn failed", extra={"customer_id": customer.id})
        if not spoken:
            spoken.append(trouble_phrase(language))
            yield Said(spoken[-1])
        yield Ended()
        return
    said = "".join(spoken)
    reply = (final.get("reply") or "").strip()
    if not reply and final.get("skipped") == "human_owned":
        reply = prompts.entry("voice", "human_owned", language)
    if reply and reply not in said:  # a guard's answer, or one finalize wrote
        extra = (" " if said and not said.endswith(" ") else "") + reply
        spoken.append(extra)
        yield Said(extra)
    handed = final.get("client_tool_calls") or []
    if handed:
        yield Handed([{"id": c["id"], "name": c["name"], "args": c["args"]} for c in handed])
    said = "".join(spoken).strip()
    yield Ended(int(final.get("prompt_tokens") or 0), max(len(said) // 4, 1 if said else 0))
    _store_later(agent, call, answer_seq, said, heard, language)


def _log_phases(phases: Phases, customer_id: int) -> None:
    """The turn's work before the model (logged once the model's first words are here)."""
    if phase_log.isEnabledFor(logging.DEBUG) and "model" in phases.marks:
        spans = {k: round(v, 2) for k, v in phases.spans.items()}
        marks = {k: round(v, 2) for k, v in phases.marks.items()}
        phase_log.debug(
            "before the model",
            extra={"customer_id": customer_id, "spans": spans, "marks": marks},
        )


def _store_later(
    agent: Agent,
    call: VoiceCall,
    seq: int,
    text: str,
    heard: list[LiveTurn],
    language: str,
) -> None:
    """Store the spoken answer as a live turn once the turn has ended (not on its time)."""
    global _storer
    answer = LiveAnswer(call.customer_id, call.call_ref, seq, text, heard, language)
    _pending.append((agent.memory, answer))
    if _storer is None or _storer.done():  # one storer drains them all
        _storer = asyncio.get_running_loop().create_task(_store_pending())
        _storing.add(_storer)
        _storer.add_done_callback(_storing.discard)


async def _store_pending() -> None:
    """Store the answers waiting, a batch at a time, each batch once no turn is on its way to
    its model."""
    while _pending:
        await _no_turn_before_its_model()
        memory = _pending[0][0]
        batch = [a for m, a in _pending if m is memory][:STORE_BATCH]
        _pending[:] = [(m, a) for m, a in _pending if a not in batch]
        try:
            await record_live_answers(memory, batch)
        except Exception:
            ids = [a.customer_id for a in batch]
            log.exception("live answer not stored", extra={"customer_ids": ids})


def _before_its_model() -> bool:
    return any("model" not in p.marks for p in _turns.values())


def _wake_stores(mark: str) -> None:
    """A turn asked its model (or ended): the answers waiting are stored if no other turn is
    still on its way to its model."""
    if mark == "model" and _waiting and not _before_its_model():
        for waiter in _waiting:
            if not waiter.done():
                waiter.set_result(None)
        _waiting.clear()


async def _no_turn_before_its_model() -> None:
    """Wait (at most `STORE_WAIT_S`) until every turn being answered has asked its model."""
    if not _before_its_model():
        return
    waiter = asyncio.get_running_loop().create_future()
    _waiting.append(waiter)
    try:
        await asyncio.wait_for(waiter, STORE_WAIT_S)
    except TimeoutError:
        pass
    finally:
        if waiter in _waiting:
            _waiting.remove(waiter)


async def stored_answers() -> None:
    """Wait for the answers still being stored (shutdown, tests, the benchmark)."""
    while _storing:
        await asyncio.gather(*list(_storing), return_exceptions=True)


async def buffered(
    events: AsyncIterator[VoiceEvent], *, after: float, phrase: str
) -> AsyncIterator[VoiceEvent]:
    """`events`, with `phrase` said first when nothing is said within `after` seconds (a slow
    model to start: ElevenLabs' buffer words keep the call from falling silent)."""
    if after <= 0:
        async for event in events:
            yield event
        return
    iterator = aiter(events)
    first = asyncio.ensure_future(anext(iterator))
    try:
        done, _ = await asyncio.wait({first}, timeout=after)
        if not done:
            yield Said(phrase)
        try:
            event = await first
        except StopAsyncIteration:
            return
        yield event
        async for event in iterator:
            yield event
    finally:
        if not first.done():  # the consumer left while we waited: stop the turn with it
            first.cancel()
            await asyncio.gather(first, return_exceptions=True)
        await iterator.aclose()  # type: ignore[attr-defined]
