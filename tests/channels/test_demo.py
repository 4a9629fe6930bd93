"""`hilo demo` tells the whole story offline, over real HTTP, in one process of its own."""

from __future__ import annotations

import os
import re
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
    call_start = out.split("3. Ana calls again", 1)[1].split("4. Ana asks", 1)[0]
    assert "Ana (WhatsApp): ¿Me pueden llamar el viernes a las 10?" in call_start
    assert "embedded PostgreSQL" in out  # no DATABASE_URL here
    # "¿Me pueden llamar el viernes a las 10?": due at 10:00 in the business's zone, said so.
    assert re.search(r"\(due \d{4}-\d\d-\d\d 10:00 UTC-5\)", out), out[-1500:]
    # A spoken turn through the Custom LLM endpoint, answered from what WhatsApp said.
    assert "Hilo answers «" in out and "40 metros" in out.split("Hilo answers «", 1)[1][:200]
    assert "escalation: resolved" in out  # a person answered and handed back
    assert "reply → 201" in out and "soy Laura" in out
    assert out.count("descuento del 10%") >= 2  # Laura said it; the AI recalls it afterwards
    assert "Hablamos de" in out  # the follow-up after the call


def test_demo_banner_names_the_database_it_uses(tmp_path):
    from pydantic import SecretStr

    from config import Settings
    from server.commands.demo import banner

    embedded = Settings(_env_file=None, data_dir=tmp_path, database_url=None)
    external = Settings(
        _env_file=None, data_dir=tmp_path, database_url=SecretStr("postgresql://h@db/hilo")
    )
    assert "embedded PostgreSQL" in banner(embedded)
    assert "embedded" not in banner(external) and "DATABASE_URL" in banner(external)
