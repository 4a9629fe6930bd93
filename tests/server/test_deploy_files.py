"""The deployment files, read statically (no container runs here): compose.yaml runs the web
process without a worker plus replicated workers on PostgreSQL with pgvector, passes only
settings Hilo has, and an empty passthrough (`${VAR:-}`) leaves a setting unset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from config import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_web_without_a_worker_and_replicated_workers_on_pgvector(compose) -> None:
    services = compose["services"]
    assert services["postgres"]["image"].startswith("pgvector/pgvector:pg18")
    assert services["web"]["environment"]["HILO_RUN_WORKER"] == "0"
    assert services["worker"]["command"][:2] == ["hilo", "worker"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_variable_compose_passes_is_a_hilo_setting(compose) -> None:
    known = {
        str(alias).upper()
        for field in Settings.model_fields.values()
        for alias in getattr(field.validation_alias, "choices", [])
    }
    passed = set(compose["services"]["worker"]["environment"])
    assert passed - known == set()


def test_an_empty_variable_leaves_the_setting_unset(monkeypatch) -> None:
    for name in ("HILO_TOOLS_SECRET", "ELEVENLABS_WEBHOOK_SECRET", "HILO_LLM", "TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.tools_secret, settings.elevenlabs_webhook_secret) == (None, None)
    assert settings.llm == "rules" and not settings.twilio_enabled
