"""Prompt and message templates: text files with named `{placeholders}`, loaded once.

`render("system", "es", name=...)` fills `prompts/system_es.txt`. Message catalogues
(`replies_es.txt`) hold many short templates, each under a `## key` line.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


class MissingPlaceholder(KeyError):
    pass


class _Strict(dict[str, object]):
    def __missing__(self, key: str) -> object:
        raise MissingPlaceholder(f"prompt placeholder {{{key}}} has no value")


@cache
def load(name: str, language: str) -> str:
    lang = language if language in ("es", "en") else "es"
    return resources.files("prompts").joinpath(f"{name}_{lang}.txt").read_text(encoding="utf-8")


@cache
def catalogue(name: str, language: str) -> dict[str, str]:
    """The `## key` sections of a message catalogue."""
    entries: dict[str, str] = {}
    key = None
    for line in load(name, language).splitlines():
        if line.startswith("## "):
            key = line[3:].strip()
            entries[key] = ""
        elif key is not None:
            entries[key] += line + "\n"
    return {k: v.strip() for k, v in entries.items()}


def render(template: str, language: str, **values: object) -> str:
    return load(template, language).format_map(_Strict(values)).strip()


def entry(catalogue_name: str, key: str, language: str, /, **values: object) -> str:
    """One template of a message catalogue, filled in."""
    return catalogue(catalogue_name, language)[key].format_map(_Strict(values))


def message(key: str, language: str, **values: object) -> str:
    """One template of the rules model's reply catalogue, filled in."""
    return entry("replies", key, language, **values)
