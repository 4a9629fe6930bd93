"""Per-run context of the graph: what one turn may use, bound from the verified request.

It is not checkpointed (LangGraph keeps `context` out of the state), and the model never sees
it: the customer id reaches the tools only from here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from memory import CustomerContext
from tools.ports import ToolDeps

# A live call's memory for one spoken turn: the customer's context and what recall found.
VoiceMemory = tuple[CustomerContext, list[dict[str, Any]]]

# What the agent reads of one message or call turn: its first 4,096 characters, WhatsApp's
# limit for a text message on Meta's side. A longer one (pasted text, a hostile 64 KB body, a
# runaway transcription) is stored whole, but the model, the rules, the intent embedding and
# the call analysis see its beginning: their work, and an LLM's prompt, stay bounded.
READ_CHARS = 4096


@dataclass
class TurnContext:
    deps: ToolDeps
    max_steps: int = 6
    timezone: str = "America/Bogota"
    # The stored inbound message this turn answers (None on voice): the reply points back to it.
    inbound_message_id: int | None = None
    # A burst answered in one turn: its stored messages and their texts, in arrival order
    # (empty: the one message of the turn).
    inbound_message_ids: tuple[int, ...] = ()
    inbound_texts: tuple[str, ...] = ()
    # The voice platform's own tools (OpenAI function schemas from the Custom LLM request):
    # offered to the model, run by the platform, never by Hilo (`agent.voice_prompt`).
    client_tools: list[dict[str, Any]] = field(default_factory=list)
    # On a live call, the customer's context and the recall for the caller's words, read
    # while the call's turns were being stored (`agent.voice`): the guard and `load_context`
    # await it instead of reading again.
    prefetched: asyncio.Future[VoiceMemory] | None = None
