"""Per-run context of the graph: the services a turn may use, bound from the verified request."""

from __future__ import annotations

from dataclasses import dataclass

from tools.ports import ToolDeps


@dataclass
class TurnContext:
    deps: ToolDeps
    max_steps: int = 6
