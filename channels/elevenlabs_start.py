"""An inbound ElevenLabs call's start: the caller's memory as the agent's dynamic variables,
its prompt and first message (texts in `prompts/call_start_*.txt`).

ElevenLabs asks at call start (`conversation-init`); the answer is its
`conversation_initiation_client_data`, so the voice agent begins knowing what the customer
said on earlier calls and on WhatsApp.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import prompts
from channels.call_token import issue_call_token
from memory import Customer, CustomerContext, Memory, customer_context, get_or_create_customer

RECENT_MESSAGES = 8  # read from memory; the WhatsApp ones among them, at most:
RECENT_WHATSAPP = 6


def call_variables(customer: Customer, context: CustomerContext) -> dict[str, str]:
    """The dynamic variables the voice agent's prompt may name (`{{last_summary}}`…)."""
    whatsapp = [f"{m.role}: {m.text}" for m in context.recent_messages if m.channel == "whatsapp"]
    return {
        "customer_name": customer.name or "",
        "last_summary": (context.last_call.summary or "") if context.last_call else "",
        "pending_questions": "; ".join(context.pending_questions),
        "next_steps": "; ".join(
            context.agreed_next_steps + [a.description for a in context.next_actions]
        ),
        "recent_whatsapp": " | ".join(whatsapp[-RECENT_WHATSAPP:]),
    }


def call_start_data(customer: Customer, context: CustomerContext) -> dict[str, Any]:
    """The `conversation_initiation_client_data` answer for this customer."""
    variables = call_variables(customer, context)
    language = customer.language
    prompt = prompts.entry(
        "call_start", "prompt", language, context=json.dumps(variables, ensure_ascii=False)
    )
    first = (
        prompts.entry("call_start", "first_message_named", language, name=customer.name)
        if customer.name
        else prompts.entry("call_start", "first_message", language)
    )
    return {
        "type": "conversation_initiation_client_data",
        "dynamic_variables": variables,
        "conversation_config_override": {
            "agent": {
                "prompt": {"prompt": prompt},
                "first_message": first,
                "language": language,
            }
        },
    }


async def start_call(
    memory: Memory,
    caller: str,
    *,
    call_sid: str | None = None,
    token_ttl: timedelta | None = None,
) -> dict[str, Any]:
    """The caller's customer (created on a first call) and the call start answer for them;
    `InvalidPhone` when the caller id is not a phone number. With `token_ttl` (Hilo is the
    agent's Custom LLM), the answer's `custom_llm_extra_body` carries the `hilo_call` token that
    binds the call's LLM requests to this customer (`channels.call_token`)."""
    customer = await get_or_create_customer(memory, caller)
    context = await customer_context(memory, customer.id, recent=RECENT_MESSAGES)
    data = call_start_data(customer, context)
    if token_ttl is not None:
        token = await issue_call_token(memory, customer.id, ttl=token_ttl, call_ref=call_sid)
        data["custom_llm_extra_body"] = {"hilo_call": token}
    return data
