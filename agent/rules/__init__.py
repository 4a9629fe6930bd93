"""The offline rules model (intents, entities, grounded replies)."""

from agent.rules.model import RulesChatModel

__all__ = ["RulesChatModel"]
