"""Counters of what the server really did, served at ``GET /stats`` (chaos tests read them)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class ServerStats:
    """Thread-safe totals since the server started; ``applied_twice`` must stay 0."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._resets: dict[str, Counter[str]] = {}
        # Resets answered from a keyed session's store (a retried create + reset): no simulator work.
        self._stored_resets: dict[str, Counter[str]] = {}
        # (reset generation, step index) of every step applied to a simulator, per (env, session).
        self._applied_keys: dict[tuple[str, int], set[tuple[int, int]]] = {}

    def count(self, env: str, what: str, n: int = 1) -> None:
        with self._lock:
            self._counts[f"{env}.{what}"] += n

    def reset(self, env: str, task: str) -> None:
        with self._lock:
            self._counts[f"{env}.resets"] += 1
            self._resets.setdefault(env, Counter())[task] += 1

    def stored_reset(self, env: str, task: str) -> None:
        """A reset answered from the store: counted apart, so per-task resets stay real simulator resets."""
        with self._lock:
            self._counts[f"{env}.resets_from_store"] += 1
            self._stored_resets.setdefault(env, Counter())[task] += 1

    def applied(self, env: str, session: int, generation: int, index: int) -> None:
        """Records one simulator application of step ``index``; a repeat counts in ``applied_twice``."""
        with self._lock:
            self._counts[f"{env}.steps_applied"] += 1
            seen = self._applied_keys.setdefault((env, session), set())
            if (generation, index) in seen:
                self._counts[f"{env}.applied_twice"] += 1
            seen.add((generation, index))

    def forget_session(self, env: str, session: int) -> None:
        """Drops a closed session's keys (ids never repeat, so nothing can collide later)."""
        with self._lock:
            self._applied_keys.pop((env, session), None)

    def snapshot(self, envs: list[str], open_sessions: dict[str, int]) -> dict[str, Any]:
        fields = (
            "steps_applied",
            "steps_from_store",
            "applied_twice",
            "resets",
            "sessions_created",
            "sessions_closed",
            "sessions_expired",
            "sessions_released",
            "sessions_reused",
            "resets_from_store",
        )
        with self._lock:
            per_env: dict[str, Any] = {}
            for env in envs:
                row: dict[str, Any] = {f: self._counts[f"{env}.{f}"] for f in fields}
                row["sessions_open"] = open_sessions.get(env, 0)
                row["resets_by_task"] = dict(sorted(self._resets.get(env, Counter()).items()))
                row["stored_resets_by_task"] = dict(sorted(self._stored_resets.get(env, Counter()).items()))
                per_env[env] = row
        totals = {f: sum(per_env[e][f] for e in envs) for f in (*fields, "sessions_open")}
        return {**totals, "envs": per_env}
