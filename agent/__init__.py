"""The central multichannel agent: a LangGraph graph over the customer's one thread."""

from agent.turn import Agent, Inbound, TurnResult, build_agent, run_turn

__all__ = ["Agent", "Inbound", "TurnResult", "build_agent", "run_turn"]
