"""Jobs for ElevenLabs calls (post-call ingest, follow-up). Filled in by the channels work."""

from __future__ import annotations

import procrastinate

NAMESPACE = "calls"


def register(app: procrastinate.App) -> None:
    """Add the call jobs to a job app (none yet)."""
