"""ALFWorld sessions loaded and stepped from several threads at once all work (textworld's PDDL
backend is not thread-safe, so the backend serializes it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from step_hrl_envserver.alfworld_env import AlfWorldBackend, default_data_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
GAMES = [
    "valid_seen/pick_heat_then_place_in_recep-Egg-None-CounterTop-2/trial_T20190908_122951_021026",
    "valid_seen/pick_and_place_simple-Book-None-SideTable-329/trial_T20190908_050633_745514",
    "valid_seen/look_at_obj_in_light-AlarmClock-None-DeskLamp-323/trial_T20190909_044715_250790",
    "valid_seen/pick_two_obj_and_place-SprayBottle-None-GarbageCan-419/trial_T20190908_164236_518264",
]


def test_parallel_resets_and_steps() -> None:
    data = default_data_dir(REPO_ROOT)
    present = [g for g in GAMES if data is not None and (data / "json_2.1.1" / g / "game.tw-pddl").is_file()]
    if len(present) < 3:
        pytest.skip("ALFWorld data folder not available (set ALFWORLD_DATA)")
    backend = AlfWorldBackend(data)

    def play(game: str) -> dict[str, Any]:
        state = backend.new_state()
        try:
            out = backend.reset(state, {"game_file": game})
            step = backend.step(state, "look", {})
            return {"reset": out, "step": step}
        finally:
            backend.close_state(state)

    for _ in range(2):
        with ThreadPoolExecutor(max_workers=len(present)) as pool:
            results = list(pool.map(play, present))
        for result in results:
            assert "Looking quickly around you" in result["reset"]["look"]
            assert result["reset"]["task_description"].startswith("Your task is to")
            assert result["step"]["done"] is False
