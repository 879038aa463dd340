"""Exactly-once steps: the per-session idempotency store behind ``step_index``, and ``GET /stats``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from .conftest import Client

TASK = {"task_name": "find-plant", "variation": 0}


@pytest.fixture()
def session(client: Client) -> Any:
    _, created = client.call("POST", "/scienceworld/create", {})
    sid = created["id"]
    status, _ = client.call("POST", "/scienceworld/reset", {"id": sid, **TASK})
    assert status == 200
    yield sid
    client.call("POST", "/scienceworld/close", {"id": sid})


def stats(client: Client) -> dict[str, Any]:
    status, body = client.call("GET", "/stats")
    assert status == 200
    return body


def step(client: Client, sid: int, action: str, index: int | None) -> tuple[int, Any]:
    body: dict[str, Any] = {"id": sid, "action": action}
    if index is not None:
        body["step_index"] = index
    return client.call("POST", "/scienceworld/step", body)


def test_repeat_is_answered_from_the_store(client: Client, session: int) -> None:
    before = stats(client)
    first = step(client, session, "open door to art studio", 0)
    again = step(client, session, "open door to art studio", 0)
    assert first == again and first[0] == 200
    # The simulator moved once: step 1 sees the state after one "open", not "already open".
    after = stats(client)
    assert after["steps_applied"] - before["steps_applied"] == 1
    assert after["steps_from_store"] - before["steps_from_store"] == 1
    assert after["applied_twice"] == 0
    assert after["envs"]["scienceworld"]["steps_applied"] - before["envs"]["scienceworld"]["steps_applied"] == 1
    status, obs = client.call("GET", f"/scienceworld/observation?id={session}")
    assert (status, obs) == (200, first[1]["observation"])


def test_concurrent_repeats_wait_for_the_first_and_get_its_result(client: Client, session: int) -> None:
    before = stats(client)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: step(client, session, "look around", 0), range(4)))
    assert all(a == answers[0] for a in answers) and answers[0][0] == 200
    after = stats(client)
    assert after["steps_applied"] - before["steps_applied"] == 1
    assert after["steps_from_store"] - before["steps_from_store"] == 3
    assert after["applied_twice"] == 0


def test_divergent_action_at_a_used_index_is_env_divergence(client: Client, session: int) -> None:
    assert step(client, session, "look around", 0)[0] == 200
    status, err = step(client, session, "open door to art studio", 0)
    assert (status, err["code"]) == (409, "EnvDivergence")
    for text in (str(session), "step_index 0", "'look around'", "'open door to art studio'"):
        assert text in err["error"]


def test_index_beyond_the_next_one_is_a_clear_error(client: Client, session: int) -> None:
    status, err = step(client, session, "look around", 3)
    assert (status, err["code"]) == (400, "BadRequest")
    assert "step_index 3 is beyond the next step 0" in err["error"]
    status, err = step(client, session, "look around", -1)
    assert (status, err["code"]) == (400, "BadRequest") and "`step_index` must be >= 0" in err["error"]


def test_reset_clears_the_store(client: Client, session: int) -> None:
    first = step(client, session, "look around", 0)
    assert first[0] == 200
    before = stats(client)
    client.call("POST", "/scienceworld/reset", {"id": session, **TASK})
    # Index 0 is free again: a different action is a new step, not a divergence.
    status, _ = step(client, session, "open door to art studio", 0)
    assert status == 200
    after = stats(client)
    assert after["steps_applied"] - before["steps_applied"] == 1
    assert after["resets"] - before["resets"] == 1
    assert after["envs"]["scienceworld"]["resets_by_task"]["find-plant"] >= 2
    assert after["applied_twice"] == 0


def test_agentgym_steps_without_step_index_keep_todays_behaviour(client: Client, session: int) -> None:
    before = stats(client)
    a = step(client, session, "look around", None)
    b = step(client, session, "look around", None)
    assert a[0] == b[0] == 200
    after = stats(client)
    assert after["steps_applied"] - before["steps_applied"] == 2  # both applied, as AgentGym does
    assert after["steps_from_store"] == before["steps_from_store"]
    # Indexed steps continue after the unindexed ones.
    assert step(client, session, "look around", 2)[0] == 200
    assert step(client, session, "look around", 1)[1] == b[1]


def test_stats_shape(client: Client, session: int) -> None:
    body = stats(client)
    for key in ("steps_applied", "steps_from_store", "applied_twice", "resets", "sessions_open", "sessions_expired"):
        assert isinstance(body[key], int), key
    assert body["sessions_open"] >= 1
    assert set(body["envs"]) == {"scienceworld", "alfworld"}
