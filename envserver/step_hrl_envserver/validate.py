"""Request-field validation shared by both environments; every message names the field and the fix."""

from __future__ import annotations

from typing import Any

from .errors import BadAction, BadRequest


def action_of(body: dict[str, Any]) -> str:
    """The ``action`` field: a non-empty string (what the agent typed, not interpreted here)."""
    action = body.get("action")
    if not isinstance(action, str):
        raise BadAction(f"`action` must be a string, got {type(action).__name__} {action!r}; send the command text")
    if not action.strip():
        raise BadAction(f"`action` must be a non-empty command, got {action!r}; send e.g. \"look around\"")
    return action


def optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise BadRequest(f"`{key}` must be an integer, got {value!r}")
    return value


def optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"`{key}` must be a string, got {value!r}")
    return value


def step_index_of(body: dict[str, Any]) -> int | None:
    """The optional ``step_index``: steps since the last reset, from 0 (absent = AgentGym behaviour)."""
    index = optional_int(body, "step_index")
    if index is not None and index < 0:
        raise BadRequest(f"`step_index` must be >= 0 (steps since the last reset, from 0), got {index}")
    return index
