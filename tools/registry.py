"""The tool registry: names, argument models, descriptions and the one way to call a tool.

    TOOLS[name]            -> ToolSpec(name, args: pydantic model, run)
    TOOL_ARGS[name]        -> the pydantic model of the tool's arguments
    tool_schemas()         -> OpenAI function schemas, what a chat model is bound to
    langchain_tools(deps)  -> the same tools as LangChain `StructuredTool`s bound to one customer
    await invoke_tool(name, args, deps) -> dict    (the compact JSON-able result)

`deps` (`tools.ports.ToolDeps`) carries the customer id taken from the verified request (the
WhatsApp webhook's sender, the live call's caller), the channel and the injected services; the
model's arguments never name a customer. The graph's tool node and the ElevenLabs live-tools
route both call `invoke_tool`, so a tool behaves the same on WhatsApp and during a live call.

Errors: an unknown name raises `UnknownTool`; arguments that fail validation (missing, wrong
type, or undeclared such as "phone") raise `InvalidToolArgs`, whose message names each field
and the reason ("send_whatsapp: to: Extra inputs are not permitted"). Problems the model can fix
(no such next action, customer opted out, a time in the past) come back as `{"error": ...}`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, ValidationError

from tools import customer_tools as t
from tools.ports import ToolDeps


class UnknownTool(LookupError):
    """No tool has this name."""


class InvalidToolArgs(ValueError):
    """The arguments do not fit the tool's argument model."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    args: type[BaseModel]
    run: Callable[[ToolDeps, Any], Awaitable[dict[str, Any]]]

    @property
    def description(self) -> str:
        return " ".join((self.run.__doc__ or self.name).split())


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
TOOL_ARGS: dict[str, type[BaseModel]] = {name: spec.args for name, spec in TOOLS.items()}
READ_ONLY = frozenset({"recall_conversations", "get_customer_context"})


def tool_schemas(names: list[str] | None = None) -> list[dict[str, Any]]:
    """OpenAI-format function schemas for binding to a chat model (copies: callers may edit)."""
    return [
        copy.deepcopy(_schema_of(spec.name))
        for spec in TOOLS.values()
        if names is None or spec.name in names
    ]


@functools.cache
def _schema_of(name: str) -> dict[str, Any]:
    """One tool's schema, generated once per process (pydantic takes ~6 ms a model; every agent
    built, in each test's app and each `hilo` process, asked for all of them)."""
    spec = TOOLS[name]
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.args.model_json_schema(),
        },
    }


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
    """Validate `args` and run tool `name` for the customer in `deps`."""
    parsed = parse_args(name, args)
    if name not in READ_ONLY:
        deps.context_snapshot = None  # what it changes must show in a later context read
    return await TOOLS[name].run(deps, parsed)


def langchain_tools(deps: ToolDeps) -> list[StructuredTool]:
    """The tools as LangChain `StructuredTool`s for one customer (e.g. for a prebuilt agent).

    The customer is closed over from `deps`; the argument schemas are the same pydantic models,
    so a model bound to these sees exactly what `tool_schemas()` describes.
    """

    def make(spec: ToolSpec) -> StructuredTool:
        async def run(**kwargs: Any) -> dict[str, Any]:
            return await invoke_tool(spec.name, kwargs, deps)

        return StructuredTool.from_function(
            coroutine=run, name=spec.name, description=spec.description, args_schema=spec.args
        )

    return [make(spec) for spec in TOOLS.values()]
