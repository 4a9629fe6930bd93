"""Where one request's time went: named phases, measured in the task that serves it.

A request that is timed starts a `Phases` (`start_phases()`); code on its path, in any layer,
wraps its steps in `with phase("name"):` or notes a moment with `mark("name")`. With no
`Phases` started (every other request, the worker) both do nothing. The live call's turn uses
it for the work before the model is asked (`agent.voice`, logged at DEBUG on
`hilo.phases`), which the Custom LLM benchmark reads. It lives here because every layer
may import `memory`, and memory's own steps (the query embedding) are phases too.

Phases may overlap (reads run concurrently): each one's duration is its own, in ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Phases:
    started: float = field(default_factory=time.perf_counter)
    spans: dict[str, float] = field(default_factory=dict)  # name → ms (summed if repeated)
    marks: dict[str, float] = field(default_factory=dict)  # name → ms since start (first)
    on_mark: Callable[[str], None] | None = None  # told of each new mark (`agent.voice`)

    def since_start(self) -> float:
        return (time.perf_counter() - self.started) * 1000


_current: ContextVar[Phases | None] = ContextVar("hilo_phases", default=None)


def start_phases(phases: Phases | None = None) -> Phases:
    """Time this task's request from now (or go on with `phases` begun elsewhere); the tasks
    it starts from here on (gathered reads, the graph's nodes) note into the same one."""
    phases = phases or Phases()
    _current.set(phases)
    return phases


def current_phases() -> Phases | None:
    return _current.get()


@contextmanager
def phase(name: str) -> Iterator[None]:
    phases = _current.get()
    if phases is None:
        yield
        return
    begun = time.perf_counter()
    try:
        yield
    finally:
        spent = (time.perf_counter() - begun) * 1000
        phases.spans[name] = phases.spans.get(name, 0.0) + spent


def mark(name: str) -> None:
    phases = _current.get()
    if phases is not None and name not in phases.marks:
        phases.marks[name] = phases.since_start()
        if phases.on_mark is not None:
            phases.on_mark(name)
