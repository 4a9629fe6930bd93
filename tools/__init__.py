"""The agent's tools, each acting for the current customer only (see tools.registry)."""

from tools.ports import NullNotifier, OptedOut, ToolDeps, offline_outbox
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
    "offline_outbox",
    "ToolDeps",
    "UnknownTool",
    "invoke_tool",
    "langchain_tools",
    "tool_schemas",
]
