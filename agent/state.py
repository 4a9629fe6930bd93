"""The graph's state: one customer's thread, with a bounded window of recent messages.

Checkpointed per customer (thread id = customer id). Older history is not kept here: it is
reached through the `recall_conversations` tool, so the state does not grow with the thread.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage, HumanMessage
from langgraph.graph.message import add_messages

# Messages kept in the checkpoint; anything older is reached through recall_conversations.
WINDOW = 16


class ToolOutcome(TypedDict):
    """One tool call of this turn and its result, as the model was shown it."""

    name: str
    args: dict[str, Any]
    result: Any


class ThreadState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    customer_id: int
    channel: str  # whatsapp | voice | console
    language: str  # es | en, of the customer's last message
    media: list[dict[str, Any]] | None  # attachments of the customer's message (WhatsApp)
    context: dict[str, Any]  # the customer's context snapshot, loaded at the start of the turn
    steps: int  # model calls in this turn
    # What this turn did, reset by the guard at its start and read by finalize and TurnResult.
    skipped: str | None  # opted_out | human_owned: no AI reply
    reply: str | None
    reply_message_id: int | None
    tool_outcomes: list[ToolOutcome]
    escalated: bool  # a tool call of this turn opened (or found open) an escalation
    opted_out: bool  # the customer is opted out after this turn
    prompt_tokens: int  # input tokens of this turn's model calls
    client_tool_calls: list[dict[str, Any]]  # voice: calls the platform runs (end_call…)


def turn_start(messages: list[Any]) -> int:
    """Where this turn begins: the index of the last customer (human) message."""
    return max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)


def this_turn(messages: list[Any]) -> list[Any]:
    """This turn's messages: the customer's last one and everything after it."""
    return list(messages[turn_start(messages) :])
