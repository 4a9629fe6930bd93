"""The graph's state: one customer's thread, with a bounded window of recent messages."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

# Messages kept in the checkpoint; anything older is reached through recall_conversations.
WINDOW = 16


class ThreadState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    customer_id: int
    channel: str
    language: str
    context: dict[str, Any]
    steps: int
    skipped: str | None
    reply: str | None
