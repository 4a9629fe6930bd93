"""The graph's state: one customer's thread, with a bounded window of recent messages.

Checkpointed per customer (thread id = customer id). Older history is not kept here: it is
reached through the `recall_conversations` tool, so the state does not grow with the thread.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

# Messages kept in the checkpoint; anything older is reached through recall_conversations.
WINDOW = 16


class ThreadState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    customer_id: int
    channel: str  # whatsapp | voice | console
    language: str  # es | en, of the customer's last message
    context: dict[str, Any]  # the customer's context snapshot, loaded at the start of the turn
    steps: int  # model calls in this turn
    skipped: str | None  # opted_out | human_owned: no AI reply
    reply: str | None
    reply_message_id: int | None
