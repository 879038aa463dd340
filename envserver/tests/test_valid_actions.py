"""Valid actions are listed only on request (their enumeration is most of a ScienceWorld step's
cost), and listing them or not changes nothing else a session answers."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Client


def play(client: Client, task: str, actions: list[str], valid: bool) -> list[dict[str, Any]]:
    _, created = client.call("POST", "/scienceworld/create", {})
    sid = created["id"]
    try:
        _, reset = client.call(
            "POST", "/scienceworld/reset", {"id": sid, "task_name": task, "variation": 0, "valid_actions": valid}
        )
        answers = [reset]
        for action in actions:
            status, step = client.call("POST", "/scienceworld/step", {"id": sid, "action": action, "valid_actions": valid})
            assert status == 200
            answers.append(step)
        return answers
    finally:
        client.call("POST", "/scienceworld/close", {"id": sid})


@pytest.mark.parametrize("task", ["boil", "find-living-thing"])
def test_listing_valid_actions_changes_nothing_else(client: Client, task: str) -> None:
    _, gold = client.call("GET", f"/scienceworld/gold?task_name={task}&variation=0")
    actions = gold["actions"][:12]
    listed = play(client, task, actions, valid=True)
    unlisted = play(client, task, actions, valid=False)
    assert all(len(a["valid_actions"]) > 10 for a in listed)
    assert all("valid_actions" not in a for a in unlisted)
    strip = lambda a: {k: v for k, v in a.items() if k not in ("valid_actions", "id")}  # noqa: E731
    assert [strip(a) for a in unlisted] == [strip(a) for a in listed]
