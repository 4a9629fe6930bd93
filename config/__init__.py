"""Hilo's configuration, shared by every package (it imports nothing of ours)."""

from config.settings import Settings

__all__ = ["Settings"]
