"""The tool registry: names, argument models, descriptions and one way to call a tool.

`tool_schemas()` is what a model is bound to (OpenAI function format); `invoke_tool(name, args,
deps)` validates the arguments and runs the tool for `deps.customer_id`. The graph's tool node
and the ElevenLabs live-tools route both call `invoke_tool`, so a tool behaves the same on
WhatsApp and during a live call. Unknown names raise `UnknownTool`; bad arguments raise
`InvalidToolArgs` with a readable message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from tools import customer_tools as t
from tools.ports import ToolDeps


class UnknownTool(LookupError):
    pass


class InvalidToolArgs(ValueError):
    pass


@dataclass(frozen=True)
class ToolSpec:
    name: str
    args: type[BaseModel]
    run: Callable[[ToolDeps, Any], Awaitable[dict[str, Any]]]

    @property
    def description(self) -> str:
        return (self.run.__doc__ or self.name).strip()


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec("recall_conversations", t.RecallArgs, t.recall_conversations),
        ToolSpec("get_customer_context", t.NoArgs, t.get_customer_context),
        ToolSpec("update_next_action", t.NextActionArgs, t.update_next_action_tool),
        ToolSpec("update_customer_profile", t.ProfileArgs, t.update_customer_profile),
        ToolSpec("send_whatsapp", t.SendWhatsAppArgs, t.send_whatsapp),
        ToolSpec("escalate_to_human", t.EscalateArgs, t.escalate_to_human),
        ToolSpec("schedule_callback", t.CallbackArgs, t.schedule_callback),
    )
}


def tool_schemas(names: list[str] | None = None) -> list[dict[str, Any]]:
    """OpenAI-format function schemas for binding to a chat model."""
    return [
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": spec.args.model_json_schema(),
            },
        }
        for spec in TOOLS.values()
        if names is None or spec.name in names
    ]


def parse_args(name: str, args: dict[str, Any] | None) -> BaseModel:
    spec = TOOLS.get(name)
    if spec is None:
        raise UnknownTool(f"unknown tool {name!r}; known tools: {', '.join(TOOLS)}")
    try:
        return spec.args.model_validate(args or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidToolArgs(f"{name}: {problems}") from exc


async def invoke_tool(name: str, args: dict[str, Any] | None, deps: ToolDeps) -> dict[str, Any]:
    """Validate `args` and run the tool for the customer in `deps`."""
    parsed = parse_args(name, args)
    return await TOOLS[name].run(deps, parsed)
