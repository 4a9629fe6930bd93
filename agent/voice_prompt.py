"""What the graph does differently on a live call (channel `voice`).

Memory comes to the model, not the model to memory: the recall for the caller's words is run
before the model (with the context snapshot) and written into its prompt, with the voice style
(`prompts/voice_*.txt`), so no spoken turn waits for a tool round trip to remember. The voice
platform's own tools (ElevenLabs system tools: `end_call`, `transfer_to_number`…) are offered to
the model next to Hilo's; a call to one of them is not run by Hilo but handed back to the
platform (`passthrough_calls`).
"""

from __future__ import annotations

from typing import Any

import prompts
from agent.prompt import as_data
from memory import recall
from tools.ports import ToolDeps
from tools.registry import TOOLS

RECALL_K = 4
RECALLED_CHARS = 600  # of one recalled chunk, in the prompt
EMPTY = "—"


def client_tool_names(client_tools: list[dict[str, Any]]) -> set[str]:
    """Names of the platform's tools (Hilo's own names always mean Hilo's tools)."""
    names = {str((t.get("function") or {}).get("name") or "") for t in client_tools}
    return {n for n in names if n and n not in TOOLS}


def passthrough_calls(message: Any, client_tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tool calls of a model message that the voice platform runs."""
    names = client_tool_names(client_tools)
    return [c for c in getattr(message, "tool_calls", None) or [] if c["name"] in names]


async def spoken_recall(deps: ToolDeps, text: str) -> list[dict[str, Any]]:
    """What memory holds for the caller's words (the recall the model would have asked for)."""
    hits = await recall(deps.memory, deps.customer_id, text, k=RECALL_K, timezone=deps.timezone)
    return [
        {
            "channel": h.channel,
            "date": h.occurred_at.date().isoformat(),
            "text": h.text[:RECALLED_CHARS],
        }
        for h in hits
    ]


def voice_prompt_text(recalled: list[dict[str, Any]], language: str) -> str:
    lines = [
        f"[{r['date']}, {r['channel']}] " + " / ".join(r["text"].splitlines()) for r in recalled
    ]
    return prompts.entry("voice", "prompt", language, recalled=as_data("\n".join(lines)) or EMPTY)


def buffer_phrase(language: str) -> str:
    """A short phrase said while the model thinks; it ends in "... " as ElevenLabs asks, so
    what follows is not run into it."""
    return prompts.entry("voice", "buffer", language).rstrip().rstrip(".") + "... "


def trouble_phrase(language: str) -> str:
    return prompts.entry("voice", "error", language)
