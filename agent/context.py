"""Per-run context of the graph: what one turn may use, bound from the verified request.

It is not checkpointed (LangGraph keeps `context` out of the state), and the model never sees
it: the customer id reaches the tools only from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.ports import ToolDeps


@dataclass
class TurnContext:
    deps: ToolDeps
    max_steps: int = 6
    timezone: str = "America/Bogota"
    # The stored inbound message this turn answers (None on voice): the reply points back to it.
    inbound_message_id: int | None = None
