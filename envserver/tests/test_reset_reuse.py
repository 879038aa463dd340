"""The first reset after loading a game reuses the loaded PDDL state (half the start-up cost); it
must give exactly the start a rebuilt state gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from step_hrl_envserver.alfworld_env import AlfWorldBackend, default_data_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
GAME = "valid_seen/pick_and_place_simple-Book-None-SideTable-329/trial_T20190908_050633_745514"


def test_first_reset_equals_a_rebuilt_reset() -> None:
    data = default_data_dir(REPO_ROOT)
    if data is None or not (data / "json_2.1.1" / GAME / "game.tw-pddl").is_file():
        pytest.skip("ALFWorld data folder not available (set ALFWORLD_DATA)")
    backend = AlfWorldBackend(data)
    state = backend.new_state()
    try:
        first = backend.reset(state, {"game_file": GAME})  # reuses the state load() built
        after_step = backend.step(state, "go to bed 1", {})
        again = backend.reset(state, {"game_file": GAME})  # same game: rebuilt from the PDDL problem
        assert after_step["observation"] != first["observation"]
        assert again == first
    finally:
        backend.close_state(state)
