"""The golden-prompt module against the formats in the STEP-HRL reference (no simulator needed).

The real-env comparison with the TS ``paper`` builders is tests/workflows/golden-prompts.test.ts.
"""

from __future__ import annotations

from step_hrl_envserver.golden_prompts import (
    ScriptedModel,
    alfworld_task_and_room,
    extract_action_done,
    get_high_input,
    get_low_input,
    get_progress_input,
    process_obs,
    run_loop,
)

WELCOME = (
    "-= Welcome to TextWorld, ALFRED! =-\n\n"
    "You are in the middle of a room. Looking quickly around you, you see a bed 1, and a desk 1.\n\n"
    "Your task is to: put a pen on the desk."
)


def test_alfworld_task_and_room_desc_use_the_reference_regexes() -> None:
    task, room = alfworld_task_and_room(WELCOME)
    assert task == "put a pen on the desk."
    assert room == "Looking quickly around you, you see a bed 1, and a desk 1."


def test_observation_formats() -> None:
    assert process_obs("o", "l\n", "i") == "\nObs: o\nLook: l\n\nInventory: i"
    assert process_obs("You arrive at bed 1. Looking quickly.", mode="alfworld") == "You arrive at bed 1. Looking quickly.\n"


def test_templates() -> None:
    high = get_high_input("Task Description:\nboil", ["a", "it's"], "None", "\nObs: o")
    assert high.endswith("\nTask Description:\nboil\nHistorical subtasks: ['a', \"it's\"]\nLast subtask progress: None\nCurrent observation: \nObs: o")
    assert get_low_input("g", "p", "\nObs: o").endswith("\nSubtask: g\nCurrent Observation: \nObs: oLocal Progress: p\n")
    assert get_progress_input("g", "p", "a", "o").endswith("\nSubtask: g\nPrevious local progress: p\nCurrent action: a\nResulting observation: o")


def test_action_parsing() -> None:
    assert extract_action_done("go to bed 1 ;false") == ("go to bed 1", False)
    assert extract_action_done("look; TRUE") == ("look", True)
    assert extract_action_done("look") == ("None", False)


def test_loop_order_history_and_no_progress_on_the_last_step() -> None:
    model = ScriptedModel({"high": ["g1", "g2"], "low": ["a1; True", "a2; False", "a3; True"], "progress": ["p1", "p2"]})
    outcomes = iter([("o1", False), ("o2", False), ("o3", True)])
    run_loop("task", "o0", lambda _action: next(outcomes), lambda o: f"<{o}>", model, env_step_limit=50)
    assert [c["role"] for c in model.calls] == ["high", "low", "progress", "high", "low", "progress", "low"]
    second_high = model.calls[3]["prompt"]
    assert "Historical subtasks: ['g1']\nLast subtask progress: p1\nCurrent observation: <o1>" in second_high
    assert model.calls[6]["prompt"].endswith("Current Observation: <o2>Local Progress: p2\n")
