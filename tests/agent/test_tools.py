"""The tool registry: one way to call a tool, for one customer, outside the graph too (the
ElevenLabs live-tools route calls it the same way)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from memory import get_customer, list_next_actions, set_opted_out, timeline
from tools import (
    TOOL_ARGS,
    TOOLS,
    InvalidToolArgs,
    NullNotifier,
    ToolDeps,
    UnknownTool,
    invoke_tool,
    langchain_tools,
    offline_outbox,
)


def deps_for(memory, customer_id: int) -> ToolDeps:
    return ToolDeps(
        memory=memory,
        customer_id=customer_id,
        channel="voice",
        sender=offline_outbox(memory),
        notifier=NullNotifier(),
    )


async def test_unknown_tool_and_bad_arguments_raise_specific_errors(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    with pytest.raises(UnknownTool, match="known tools"):
        await invoke_tool("delete_everything", {}, deps)
    with pytest.raises(InvalidToolArgs, match="when: Input should be a valid datetime"):
        await invoke_tool("schedule_callback", {"when": "pronto", "reason": "x"}, deps)
    with pytest.raises(InvalidToolArgs, match="phone: Extra inputs are not permitted"):
        await invoke_tool("send_whatsapp", {"text": "hola", "phone": "+573009998877"}, deps)


def test_every_tool_has_an_argument_model_without_customer_fields():
    assert set(TOOL_ARGS) == set(TOOLS)
    for name, model in TOOL_ARGS.items():
        assert not {"phone", "to", "customer_id", "caller_id"} & set(model.model_fields), name


def test_langchain_tools_show_the_model_the_same_schemas(memory):
    tools = langchain_tools(deps_for(memory, 1))
    for tool in tools:
        parameters = convert_to_openai_tool(tool)["function"]["parameters"]
        assert set(parameters.get("properties", {})) == set(TOOL_ARGS[tool.name].model_fields)


async def test_a_langchain_tool_acts_for_its_bound_customer(memory, call_customer):
    tools = {t.name: t for t in langchain_tools(deps_for(memory, call_customer.id))}
    result = await tools["update_customer_profile"].ainvoke({"budget": "500 mil al mes"})
    assert result == {"profile": {"budget": "500 mil al mes"}}
    assert (await get_customer(memory, call_customer.id)).profile["budget"] == "500 mil al mes"


async def test_a_time_without_offset_is_the_business_local_time(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    tomorrow = (datetime.now(ZoneInfo("America/Bogota")) + timedelta(days=1)).date()
    result = await invoke_tool(
        "schedule_callback", {"when": f"{tomorrow}T10:00:00", "reason": "dudas"}, deps
    )
    assert result["scheduled"]["when"].endswith("-05:00")
    (action,) = await list_next_actions(memory, call_customer.id)
    assert action.type == "call" and action.due_at.astimezone(UTC).hour == 15


async def test_next_actions_are_created_completed_and_rescheduled(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    created = await invoke_tool("update_next_action", {"description": "Enviar cotización"}, deps)
    action_id = created["created"]["id"]
    moved = await invoke_tool(
        "update_next_action",
        {"description": "Enviar cotización", "action_id": action_id, "due": "2030-01-02T09:00"},
        deps,
    )
    assert moved["updated"]["due"].startswith("2030-01-02T14:00")  # 09:00 Bogotá, in UTC
    await invoke_tool(
        "update_next_action",
        {"description": "Enviar cotización", "action_id": action_id, "status": "done"},
        deps,
    )
    assert await list_next_actions(memory, call_customer.id) == []


async def test_another_customers_action_cannot_be_touched(memory, call_customer):
    from memory import create_next_action, get_or_create_customer

    other = await get_or_create_customer(memory, "+573009998877")
    theirs = await create_next_action(memory, other.id, "Llamar a Pedro")
    result = await invoke_tool(
        "update_next_action",
        {"description": "x", "action_id": theirs.id, "status": "cancelled"},
        deps_for(memory, call_customer.id),
    )
    assert "error" in result
    assert [a.status for a in await list_next_actions(memory, other.id)] == ["open"]


async def test_send_whatsapp_reaches_only_this_customer_and_honours_opt_out(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    sent = await invoke_tool("send_whatsapp", {"text": "Te envío el resumen"}, deps)
    (message,) = [m for m in await timeline(memory, call_customer.id) if m.channel == "whatsapp"]
    assert sent == {"sent": True, "message_id": message.id}
    assert (message.customer_id, message.delivery_status) == (call_customer.id, "console")
    await set_opted_out(memory, call_customer.id, True)
    refused = await invoke_tool("send_whatsapp", {"text": "otra vez"}, deps)
    assert "opted out" in refused["error"]


async def test_escalation_opens_once(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    first = await invoke_tool("escalate_to_human", {"reason": "pide persona"}, deps)
    again = await invoke_tool("escalate_to_human", {"reason": "otra vez"}, deps)
    assert first["escalation_id"] == again["escalation_id"] and again["already_open"]


async def test_asking_for_a_callback_undoes_an_earlier_no_calls(memory, call_customer):
    deps = deps_for(memory, call_customer.id)
    await invoke_tool("update_customer_profile", {"calls": "declined"}, deps)
    assert (await get_customer(memory, call_customer.id)).profile["calls"] == "declined"
    when = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    await invoke_tool("schedule_callback", {"when": when, "reason": "pidió llamada"}, deps)
    assert (await get_customer(memory, call_customer.id)).profile["calls"] == "allowed"
