"""Customer memory in PostgreSQL + pgvector: the only package with SQL in it.

Customers, interactions, one message timeline across channels, embedded chunks for hybrid
recall, insights, next actions, escalations and raw webhook events. Everything takes a `Memory`
handle (pool + embeddings) made by `open_memory(settings)`.
"""

import memory.dates  # noqa: F401  (registers the clamping timestamp loaders on import)
import memory.text  # noqa: F401  (registers the NUL-free text dumpers on import)
from memory.actions import (
    Insight,
    NextAction,
    add_insights,
    claim_due_next_actions,
    create_next_action,
    list_insights,
    list_next_actions,
    resolve_insight,
    schedule_call,
    update_next_action,
)
from memory.calls import CallRecord, CallTurn, SavedCall, record_call_analysis, save_call
from memory.context import CustomerContext, customer_context
from memory.customers import (
    Customer,
    find_customer_by_phone,
    get_customer,
    get_or_create_customer,
    set_language,
    set_opted_out,
    update_profile,
)
from memory.errors import (
    DatabaseUnavailable,
    InvalidCall,
    InvalidDate,
    InvalidInput,
    InvalidPhone,
    UnknownCustomer,
)
from memory.escalations import (
    Escalation,
    assign_escalation,
    current_escalation,
    list_escalations,
    open_escalation,
    resolve_escalation,
)
from memory.messages import Message, save_message, timeline, update_delivery
from memory.operators import (
    InvalidEmail,
    OperatorExists,
    OperatorRecord,
    UnknownOperator,
    create_operator,
    get_operator_by_email,
    list_operators,
)
from memory.phones import mask_phone, normalize_phone
from memory.recall import RecallHit, recall
from memory.store import Memory, open_memory

__all__ = [
    "CallRecord",
    "CallTurn",
    "Customer",
    "CustomerContext",
    "DatabaseUnavailable",
    "Escalation",
    "Insight",
    "InvalidCall",
    "InvalidDate",
    "InvalidInput",
    "InvalidEmail",
    "InvalidPhone",
    "Memory",
    "Message",
    "NextAction",
    "OperatorExists",
    "OperatorRecord",
    "RecallHit",
    "SavedCall",
    "UnknownCustomer",
    "UnknownOperator",
    "add_insights",
    "assign_escalation",
    "claim_due_next_actions",
    "create_next_action",
    "create_operator",
    "current_escalation",
    "customer_context",
    "find_customer_by_phone",
    "get_customer",
    "get_operator_by_email",
    "get_or_create_customer",
    "list_escalations",
    "list_insights",
    "list_next_actions",
    "list_operators",
    "mask_phone",
    "normalize_phone",
    "open_escalation",
    "open_memory",
    "recall",
    "record_call_analysis",
    "resolve_escalation",
    "resolve_insight",
    "save_call",
    "save_message",
    "schedule_call",
    "set_language",
    "set_opted_out",
    "timeline",
    "update_delivery",
    "update_next_action",
    "update_profile",
]
