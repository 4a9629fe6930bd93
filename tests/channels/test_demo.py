"""`hilo demo` tells the whole story offline, over real HTTP, in one process of its own."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_runs_the_whole_story_offline(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TWILIO_", "ELEVENLABS_", "OPENAI_", "DATABASE_URL"))
    }
    env["COLUMNS"] = "200"
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "post-call webhook (signed) → 200" in out
    assert "Unos 500 mil pesos" in out  # the WhatsApp agent recalled the call
    assert "recent_whatsapp" in out and "me recuerdas" in out  # the call start got WhatsApp
    # A spoken turn through the Custom LLM endpoint, answered from what WhatsApp said.
    assert "Hilo answers «" in out and "40 metros" in out.split("Hilo answers «", 1)[1][:200]
    assert "escalation: resolved" in out  # a person answered and handed back
    assert "reply → 201" in out and "soy Laura" in out
    assert out.count("descuento del 10%") >= 2  # Laura said it; the AI recalls it afterwards
    assert "Hablamos de" in out  # the follow-up after the call
