"""ChatOpenAI's streamed requests posted as langchain-openai builds them
(`agent.models.PlainStreamedCompletions`): what reaches the model and what comes back is what
the SDK's own `create` would send and return."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from openai._utils._transform import async_maybe_transform
from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming

from agent.models import PlainStreamedCompletions, build_model
from tests.agent.fake_openai import FakeOpenAI, text, tool_call
from tests.agent.test_openai_backend import openai_settings
from tools.registry import tool_schemas

END_CALL = {
    "type": "function",
    "function": {
        "name": "end_call",
        "description": "End the call.",
        "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}},
    },
}
PROMPT = [
    SystemMessage("Eres el asistente de Sol Andino."),
    HumanMessage("¿Cuánto cuesta la instalación?"),
    AIMessage(
        "",
        tool_calls=[{"id": "call_1", "name": "recall_conversations", "args": {"query": "precio"}}],
    ),
    ToolMessage('{"hits": []}', tool_call_id="call_1", name="recall_conversations"),
    AIMessage("Unos 12 millones."),
    HumanMessage([{"type": "text", "text": "¿Y el inversor?"}]),
]


async def streamed(model, answer: dict) -> tuple[str, list]:
    """The streamed answer's text and tool calls."""
    chunks = [c async for c in model.astream(PROMPT)]
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    return str(whole.content), [(c["name"], c["args"]) for c in whole.tool_calls]


async def test_a_streamed_request_is_the_one_the_sdk_would_send(settings):
    answer = {**tool_call("end_call", {"reason": "done"}), "content": "Hasta luego."}
    with FakeOpenAI(lambda body: answer) as fake:
        model = build_model(openai_settings(settings, fake.base_url))
        assert isinstance(model.async_client, PlainStreamedCompletions)
        bound = model.bind_tools([*tool_schemas(), END_CALL])
        ours = await streamed(bound, answer)
        model.async_client = model.root_async_client.chat.completions  # the SDK's own create
        sdks = await streamed(bound, answer)
    assert fake.requests[0] == fake.requests[1]
    assert fake.authorizations == ["Bearer sk-test"] * 2
    assert ours == sdks == ("Hasta luego.", [("end_call", {"reason": "done"})])


async def test_the_sdks_transform_leaves_a_chat_completions_body_as_it_is(settings):
    # What the plain post skips: if a parameter ever gained an alias or a format, this fails.
    with FakeOpenAI(lambda body: text("Claro.")) as fake:
        model = build_model(openai_settings(settings, fake.base_url))
        bound = model.bind_tools([*tool_schemas(), END_CALL])
        payload = model._get_request_payload(PROMPT, stream=True, **bound.kwargs)
    payload["stream_options"] = {"include_usage": True}
    assert await async_maybe_transform(payload, CompletionCreateParamsStreaming) == payload


async def test_a_request_that_does_not_stream_is_the_sdks_own(settings):
    with FakeOpenAI(lambda body: text("Claro que sí.")) as fake:
        model = build_model(openai_settings(settings, fake.base_url))
        reply = await model.ainvoke(PROMPT)
    assert reply.content == "Claro que sí."
    assert fake.requests[0].get("stream") is not True
