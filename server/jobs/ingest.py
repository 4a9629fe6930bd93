"""Jobs for ElevenLabs calls (post-call ingest, follow-up). Filled in by the channels work."""

from __future__ import annotations

import procrastinate

blueprint = procrastinate.Blueprint()
