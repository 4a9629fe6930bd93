"""The agent's tools, each acting for the current customer only (see tools.registry)."""

from tools.ports import NullNotifier, OptedOut, StoreOnlySender, ToolDeps
from tools.registry import TOOLS, InvalidToolArgs, UnknownTool, invoke_tool, tool_schemas

__all__ = [
    "TOOLS",
    "InvalidToolArgs",
    "NullNotifier",
    "OptedOut",
    "StoreOnlySender",
    "ToolDeps",
    "UnknownTool",
    "invoke_tool",
    "tool_schemas",
]
