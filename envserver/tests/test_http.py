"""End-to-end over HTTP (in-process server): AgentGym-style routes, JSON errors, both envs."""

from __future__ import annotations

from .conftest import GAME, Client


def test_health_and_versions(client: Client) -> None:
    assert client.call("GET", "/health") == (200, {"status": "ok", "envs": ["scienceworld", "alfworld"]})
    status, versions = client.call("GET", "/versions")
    assert status == 200 and versions["scienceworld"] == "1.1.3" and versions["alfworld"].startswith("0.4.")


def test_alfworld_walkthrough_wins(client: Client) -> None:
    _, created = client.call("POST", "/alfworld/create", {})
    sid = created["id"]
    status, reset = client.call("POST", "/alfworld/reset", {"id": sid, "game_file": GAME})
    assert status == 200
    assert reset["task_description"].startswith("Your task is to: ")
    assert "go to countertop 2" in reset["available_actions"]
    _, walk = client.call("GET", f"/alfworld/walkthrough?game_file={GAME}")
    for action in walk["actions"]:
        status, step = client.call("POST", "/alfworld/step", {"id": sid, "action": action})
        assert status == 200
    assert step["won"] and step["done"] and step["score"] == 1
    assert client.call("GET", f"/alfworld/observation?id={sid}")[1] == step["observation"]
    assert client.call("POST", "/alfworld/close", {"id": sid}) == (200, True)
    status, err = client.call("POST", "/alfworld/step", {"id": sid, "action": "look"})
    assert (status, err["code"]) == (404, "SessionLost")


def test_alfworld_bad_game_file(client: Client) -> None:
    _, created = client.call("POST", "/alfworld/create", {})
    status, err = client.call("POST", "/alfworld/reset", {"id": created["id"], "game_file": "valid_seen/broken/trial_1"})
    assert (status, err["code"]) == (404, "BadGameFile")
    assert "valid_seen/broken/trial_1" in err["error"]


def test_scienceworld_errors_and_gold(client: Client) -> None:
    _, created = client.call("POST", "/scienceworld/create", {})
    sid = created["id"]
    status, err = client.call("POST", "/scienceworld/reset", {"id": sid, "task_name": "nope"})
    assert (status, err["code"]) == (404, "UnknownTask")
    status, err = client.call("POST", "/scienceworld/reset", {"id": sid, "task_name": "melt", "variation": 10_000})
    assert (status, err["code"]) == (400, "BadVariation")
    _, gold = client.call("GET", "/scienceworld/gold?task_name=find-plant&variation=0")
    status, reset = client.call("POST", "/sciworld/reset", {"id": sid, "task_name": "find-plant", "variation": 0})
    assert status == 200 and reset["score"] == 0 and reset["task_name"] == "find-plant"
    for action in gold["actions"]:
        _, step = client.call("POST", "/scienceworld/step", {"id": sid, "action": action})
    assert step["score"] == 100 and step["done"]
    client.call("POST", "/scienceworld/close", {"id": sid})


def test_malformed_requests(client: Client) -> None:
    assert client.call("GET", "/nope")[1]["code"] == "NotFound"
    status, err = client.call("POST", "/alfworld/step", {"id": "abc", "action": "look"})
    assert (status, err["code"]) == (400, "BadRequest")


def test_keyed_session_retried_create_and_reset_cost_one_reset(client: Client) -> None:
    """A client that died after create + reset retries both under the same key: same session, one reset."""
    key = "episode-keyed-retry"
    before = client.call("GET", "/stats")[1]["envs"]["alfworld"]
    first = client.call("POST", "/alfworld/create", {"key": key})[1]["id"]
    reset1 = client.call("POST", "/alfworld/reset", {"id": first, "game_file": GAME})[1]
    again = client.call("POST", "/alfworld/create", {"key": key})[1]
    assert again == {"id": first, "reused": True}
    reset2 = client.call("POST", "/alfworld/reset", {"id": first, "game_file": GAME})[1]
    assert reset2 == reset1
    after = client.call("GET", "/stats")[1]["envs"]["alfworld"]
    assert after["resets"] - before["resets"] == 1
    assert after["resets_from_store"] - before["resets_from_store"] == 1
    game_key = next(k for k in after["stored_resets_by_task"] if GAME.split("/")[-2] in k)
    stored_before = before.get("stored_resets_by_task", {}).get(game_key, 0)
    assert after["stored_resets_by_task"][game_key] - stored_before == 1
    # Once a step was taken, the same key starts over: the old session is closed, a new one made.
    assert client.call("POST", "/alfworld/step", {"id": first, "action": "look", "step_index": 0})[0] == 200
    fresh = client.call("POST", "/alfworld/create", {"key": key})[1]
    assert fresh["id"] != first and "reused" not in fresh
    assert client.call("POST", "/alfworld/step", {"id": first, "action": "look"})[1]["code"] == "SessionLost"
    client.call("POST", "/alfworld/reset", {"id": fresh["id"], "game_file": GAME})
    assert client.call("GET", "/stats")[1]["envs"]["alfworld"]["resets"] - before["resets"] == 2
    assert client.call("POST", "/alfworld/create", {"key": 7})[0] == 400
    client.call("POST", "/alfworld/close", {"id": fresh["id"]})
