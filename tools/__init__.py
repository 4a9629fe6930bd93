"""The agent's tools, each acting for the current customer only (see tools.registry)."""

from tools.ports import NullNotifier, OptedOut, StoreOnlySender, ToolDeps
from tools.registry import (
    TOOL_ARGS,
    TOOLS,
    InvalidToolArgs,
    UnknownTool,
    invoke_tool,
    langchain_tools,
    tool_schemas,
)

__all__ = [
    "TOOLS",
    "TOOL_ARGS",
    "InvalidToolArgs",
    "NullNotifier",
    "OptedOut",
    "StoreOnlySender",
    "ToolDeps",
    "UnknownTool",
    "invoke_tool",
    "langchain_tools",
    "tool_schemas",
]
