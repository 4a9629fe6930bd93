"""The agent graph, one thread per customer (thread id = customer id):

START → load_context ─(opted out / human-owned)→ END      no AI reply
             │
             ▼
           model ⇄ tools       at most `max_steps` model calls, then finalize
             │
             ▼
         finalize → END        reply stored as the turn's outgoing message; window trimmed
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langgraph.graph import END, START, StateGraph

from agent.context import TurnContext
from agent.nodes import (
    finalize,
    load_context,
    make_model_node,
    route_after_guard,
    route_after_model,
    run_tools,
)
from agent.state import ThreadState


def build_graph(model: BaseChatModel, checkpointer: Any = None) -> Any:
    graph = StateGraph(ThreadState, context_schema=TurnContext)
    graph.add_node("load_context", load_context)
    graph.add_node("model", make_model_node(model))
    graph.add_node("tools", run_tools)
    graph.add_node("finalize", finalize)
    graph.add_edge(START, "load_context")
    graph.add_conditional_edges("load_context", route_after_guard, {"model": "model", "skip": END})
    graph.add_conditional_edges(
        "model", route_after_model, {"tools": "tools", "finalize": "finalize"}
    )
    graph.add_edge("tools", "model")
    graph.add_edge("finalize", END)
    return graph.compile(checkpointer=checkpointer)
