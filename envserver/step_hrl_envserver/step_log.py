"""Per-session idempotency store: step index -> (action, result) for the steps since the last reset.

A client that gave up waiting for a step (timeout, cancelled attempt, worker retry) sends the same
``step_index`` again; the store answers it with the result of the one application instead of
stepping the simulator twice. A different action at a used index is ``EnvDivergence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import BadRequest, EnvDivergence


@dataclass
class StepLog:
    """The steps applied since the last reset, in order (index = position)."""

    #: Bumped by every reset, so stats can tell a new episode's step 0 from a repeated one.
    generation: int = 0
    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def clear(self) -> None:
        self.generation += 1
        self.entries.clear()

    @property
    def next_index(self) -> int:
        return len(self.entries)

    def lookup(self, index: int | None, action: str, where: str) -> dict[str, Any] | None:
        """The stored result of step ``index`` when it was applied with ``action``; None when it is
        the next step (apply it). Raises ``EnvDivergence`` / ``BadRequest`` for anything else."""
        if index is None:
            return None
        n = self.next_index
        if index < n:
            stored_action, result = self.entries[index]
            if stored_action != action:
                raise EnvDivergence(
                    f"{where}: step_index {index} was already applied with action {stored_action!r}, "
                    f"now sent with action {action!r}; a step index names one action (reset to start over)"
                )
            return result
        if index > n:
            raise BadRequest(
                f"{where}: step_index {index} is beyond the next step {n} "
                f"({n} steps were applied since the last reset); send steps in order, starting at 0 after a reset"
            )
        return None

    def record(self, action: str, result: dict[str, Any]) -> int:
        """Stores the result of the step just applied; returns its index."""
        self.entries.append((action, result))
        return len(self.entries) - 1
