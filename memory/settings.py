"""What memory reads of the settings, as a Protocol: `config.Settings` satisfies it, and memory
imports nothing of Hilo's own (DESIGN.md's import table)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pydantic import SecretStr


class MemorySettings(Protocol):
    @property
    def database_url(self) -> SecretStr | None: ...  # unset: the embedded server in data_dir
    @property
    def data_dir(self) -> Path: ...
    @property
    def embeddings(self) -> str: ...  # "local" or "openai"
    @property
    def openai_api_key(self) -> SecretStr | None: ...
    @property
    def openai_base_url(self) -> str | None: ...
    @property
    def openai_embedding_model(self) -> str: ...
    @property
    def default_region(self) -> str: ...
    @property
    def language(self) -> str: ...
