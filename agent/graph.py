"""The agent graph, one thread per customer (thread id = customer id):

START → guard ─(opt-out / opt-in / media: templated reply; opted out / human-owned: none)→ END
          │
          ▼
     load_context              the customer's context snapshot
          │
          ▼
     model ⇄ tools             at most `max_steps` model calls, then finalize (on a call, a
          │                    tool of the voice platform ends the turn: the platform runs it)
          │
          ▼
      finalize → END           reply through the outbox; window trimmed
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langgraph.graph import END, START, StateGraph

from agent.context import TurnContext
from agent.guards import guard, route_after_guard
from agent.nodes import (
    finalize,
    load_context,
    make_model_node,
    route_after_model,
    route_after_tools,
    run_tools,
)
from agent.state import ThreadState


def build_graph(model: BaseChatModel, checkpointer: Any = None) -> Any:
    graph = StateGraph(ThreadState, context_schema=TurnContext)
    graph.add_node("guard", guard)
    graph.add_node("load_context", load_context)
    graph.add_node("model", make_model_node(model))
    graph.add_node("tools", run_tools)
    graph.add_node("finalize", finalize)
    graph.add_edge(START, "guard")
    graph.add_conditional_edges(
        "guard", route_after_guard, {"load_context": "load_context", "end": END}
    )
    graph.add_edge("load_context", "model")
    graph.add_conditional_edges(
        "model", route_after_model, {"tools": "tools", "finalize": "finalize"}
    )
    graph.add_conditional_edges(
        "tools", route_after_tools, {"model": "model", "finalize": "finalize"}
    )
    graph.add_edge("finalize", END)
    return graph.compile(checkpointer=checkpointer)
