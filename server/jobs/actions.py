"""Periodic job for due next actions: callbacks (type `call`) are placed through ElevenLabs.

Due actions are claimed atomically (`FOR UPDATE SKIP LOCKED`), so many workers never place the
same call twice. Without ElevenLabs outbound settings nothing is claimed: the actions stay open
on the operators' board.
"""

from __future__ import annotations

import logging

import procrastinate

from channels.call_token import custom_llm_extra_body
from channels.elevenlabs_calls import can_place_calls, place_outbound_call
from memory import claim_due_next_actions, customer_context, get_customer, update_next_action
from server.jobs import runtime

log = logging.getLogger(__name__)
DUE_ACTIONS = "actions:due_actions"


async def place_due_callbacks() -> int:
    """Place every due callback; returns how many calls were placed."""
    services = runtime.services()
    if not can_place_calls(services.settings):
        return 0
    memory = services.memory
    placed = 0
    for action in await claim_due_next_actions(memory, type="call"):
        customer = await get_customer(memory, action.customer_id)
        if customer.profile.get("calls") == "declined":
            # The customer asked not to be phoned: the call is not placed, and the board says why.
            await update_next_action(
                memory,
                customer.id,
                action.id,
                status="cancelled",
                description=f"{action.description} (no llamar: el cliente pidió no recibir "
                "llamadas)",
            )
            log.info("callback cancelled: calls declined", extra={"customer_id": customer.id})
            continue
        context = await customer_context(memory, customer.id, recent=6)
        variables = {
            "customer_name": customer.name or "",
            "last_summary": (context.last_call.summary or "") if context.last_call else "",
            "pending_questions": "; ".join(context.pending_questions),
            # Why the call was asked for (the detail kept beside "Llamar el lunes 7 …").
            "callback_reason": " — ".join(
                t for t in (action.description, action.meta.get("detail")) if t
            ),
        }
        try:
            conversation_id = await place_outbound_call(
                services.settings,
                customer.phone,
                variables,
                custom_llm_extra_body=await custom_llm_extra_body(
                    memory, services.settings, customer.id
                ),
            )
        except Exception as exc:  # any refusal: the action is failed, humans see it
            log.warning(
                "callback not placed",
                extra={"customer_id": customer.id, "error": type(exc).__name__},
            )
            await update_next_action(memory, customer.id, action.id, status="failed")
            continue
        await update_next_action(
            memory,
            customer.id,
            action.id,
            status="done",
            description=f"{action.description} (llamada {conversation_id or 'iniciada'})",
        )
        placed += 1
    return placed


async def due_actions(timestamp: int) -> int:
    return await place_due_callbacks()


def register(app: procrastinate.App) -> None:
    app.periodic(cron="* * * * *", periodic_id="due_actions")(
        app.task(name=DUE_ACTIONS, queueing_lock="due_actions")(due_actions)
    )
