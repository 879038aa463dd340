"""Golden STEP-HRL prompts: the reference's own prompt strings, built independently of the TS builders.

The STEP-HRL reference (TonyStark042/STEP-HRL) builds every model input with ``util/concat_input.py``
from the instructions in ``util/inst.py`` and the observation formatting ``process_obs`` of
``env/scienceworld/convert_data_memory.py``, inside the evaluation loop of ``alg/eval_step.py``
(``data_collect``; ``alg/step_bc.py`` has the same loop). This module re-implements exactly that:
the same strings, the same loop, played on the real simulators (a ScienceWorld JVM of its own;
ALFWorld games through ``textworld.gym`` with ALFWorld's wrappers, as ``AlfredTWEnv`` does), with
the model replaced by scripted replies. It never imports the env server's HTTP shaping, so a test
comparing its prompts with the TS ``paper`` builders compares two independent implementations.

Run as a script (``python -m step_hrl_envserver.golden_prompts``): JSON on stdin
``{"cases": [{"env": "scienceworld", "task": "boil", "variation": 0, "max_steps": 8,
"replies": {"high": [...], "low": [...], "progress": [...]}}, {"env": "alfworld",
"game_file": "valid_seen/<task-dir>/<trial-dir>", ...}]}``; JSON on stdout
``{"cases": [{"calls": [{"role": "high", "prompt": "..."}, ...]}]}``, calls in the order the
reference makes them. Replies are consumed in order per role; ``low`` replies use the reference's
``"<action>; True|False"`` format.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

#: The reference's env-side step limit (ScienceWorld ``envStepLimit``; ALFWorld ``max_nb_steps_per_episode``).
#: ``max_steps`` of a case is the agent's own step counter (``env_step_limit``); keep it below this.
REFERENCE_ENV_STEP_LIMIT = 50

# --- util/inst.py (verbatim) -------------------------------------------------------------------
HIGH_PROMPT = (
    "You are a high-level planner. Based on the state (task description, historical subtasks, last subtask "
    "progress and current observation), please generate a clear and simple subtask.\n"
)
LOW_PROMPT = (
    "You are a low-level action executor. Based on the current subtask, observation and local progress, please "
    "generate a executable action and determine if the subtask is completed (True/False).\n"
)
LOCAL_PROGRESS_PROMPT = (
    "You are an AI agent responsible for updating local progress within a subtask. Based on the current subtask, "
    "the previous local progress, the current action, and the resulting observation, update the local progress.\n"
)


# --- util/concat_input.py (verbatim logic) -----------------------------------------------------
def get_high_input(task_description: str, historical_subtasks: list[str], last_subtask_progress: str, obs: str) -> str:
    prompt = f"{HIGH_PROMPT}{task_description}\n"
    context = (
        f"Historical subtasks: {str(historical_subtasks)}\n"
        f"Last subtask progress: {last_subtask_progress}\nCurrent observation: {obs}"
    )
    return f"{prompt}{context}"


def get_low_input(subtask: str, local_progress: str, obs: str) -> str:
    return f"{LOW_PROMPT}Subtask: {subtask}\n" + f"Current Observation: {obs}Local Progress: {local_progress}\n"


def get_progress_input(subtask: str, prev_local_progress: str, action: str, resulting_observation: str) -> str:
    context = (
        f"Subtask: {subtask}\nPrevious local progress: {prev_local_progress}\n"
        f"Current action: {action}\nResulting observation: {resulting_observation}"
    )
    return f"{LOCAL_PROGRESS_PROMPT}{context}"


# --- env/scienceworld/convert_data_memory.py process_obs (verbatim logic) -----------------------
def process_obs(raw_obs: Any, look: Any = None, inventory: Any = None, mode: str = "scienceworld") -> str:
    if mode == "scienceworld":
        raw_obs = str(raw_obs) if raw_obs is not None else ""
        look = str(look) if look is not None else "None"
        inventory = str(inventory) if inventory is not None else "None"
        out_str = "\nObs: " + raw_obs + "\n"
        out_str += "Look: " + look + "\n"
        out_str += "Inventory: " + inventory
    else:
        out_str = raw_obs + "\n"
    return out_str


# --- util/extract.py extract_action_done (verbatim logic) --------------------------------------
def extract_action_done(text: str) -> tuple[str, bool]:
    match = re.match(r"(.*?)\s*;\s*(true|false)", text, re.I)
    if match:
        action, done = match.groups()
        return action.strip(), done.strip().lower() == "true"
    return "None", False


# --- alg/eval_step.py EvalAgent_alfworld.data_collect: task line and room description -----------
def alfworld_task_and_room(raw_welcome: str) -> tuple[str, str]:
    """The reference's two regexes on ALFWorld's welcome text: the task after "Your task is to: "
    and the "Looking quickly around you, ..." paragraph (its ``room_desc``, the first observation)."""
    task_match = re.search(r"Your task is to: (.*)", raw_welcome)
    task_description = task_match.group(1).strip() if task_match else raw_welcome
    look_match = re.search(r"(Looking quickly around you,.*?)(?=\n\n)", raw_welcome, re.DOTALL)
    if not look_match:
        raise ValueError("no 'Looking quickly around you' paragraph in the ALFWorld welcome text")
    return task_description, look_match.group(1).strip()


class ScriptedModel:
    """Stands in for the model: the next scripted reply of a role, recording each prompt it is given."""

    def __init__(self, replies: dict[str, list[str]]) -> None:
        self._replies: dict[str, Iterator[str]] = {role: iter(replies.get(role, [])) for role in ("high", "low", "progress")}
        self.calls: list[dict[str, str]] = []

    def __call__(self, role: str, prompt: str) -> str:
        self.calls.append({"role": role, "prompt": prompt})
        try:
            return next(self._replies[role])
        except StopIteration:
            raise ValueError(f"the script has no {role!r} reply left for call {len(self.calls)}") from None


def run_loop(
    task_description: str,
    reset_obs: Any,
    step: Callable[[str], tuple[Any, bool]],
    fmt: Callable[[Any], str],
    model: ScriptedModel,
    env_step_limit: int,
) -> None:
    """The reference's evaluation loop (``data_collect``), with the env behind ``step``/``fmt``."""
    obs = reset_obs
    done = False
    episode_steps = 0
    historical_subtasks: list[str] = []
    last_subtask_progress = "None"
    while not done:
        subtask = model("high", get_high_input(task_description, historical_subtasks, last_subtask_progress, fmt(obs)))
        historical_subtasks.append(subtask)
        subtask_done = False
        current_local_progress = "None"
        while not subtask_done:
            raw_action = model("low", get_low_input(subtask, current_local_progress, fmt(obs)))
            action, subtask_done = extract_action_done(raw_action)
            obs_, done = step(action)
            if done:
                break
            prog_input = get_progress_input(subtask, current_local_progress, action, fmt(obs_))
            current_local_progress = model("progress", prog_input)
            obs = obs_
            episode_steps += 1
            if episode_steps >= env_step_limit:
                done = True
                break
        last_subtask_progress = current_local_progress


def scienceworld_calls(task: str, variation: int, replies: dict[str, list[str]], max_steps: int) -> list[dict[str, str]]:
    """The reference's prompts on ScienceWorld (``ScienceWorldEnv("", envStepLimit=50)``, ``load``, ``reset``)."""
    from scienceworld import ScienceWorldEnv

    env = ScienceWorldEnv("", envStepLimit=REFERENCE_ENV_STEP_LIMIT)
    try:
        env.load(task, variation)
        obs, info = env.reset()
        task_description = env.taskdescription()

        # process_obs(obs, info['look'], info['inv']): an observation carries its step's look and inventory.
        def step(action: str) -> tuple[Any, bool]:
            obs_, _reward, done, info_ = env.step(action)
            return (obs_, info_["look"], info_["inv"]), bool(done)

        model = ScriptedModel(replies)
        run_loop(
            task_description,
            (obs, info["look"], info["inv"]),
            step,
            lambda o: process_obs(o[0], o[1], o[2]),
            model,
            max_steps,
        )
        return model.calls
    finally:
        _close_scienceworld(env)


def _close_scienceworld(env: Any) -> None:
    """scienceworld 1.1.3 has no ``close()``: shut its py4j gateway (the JVM also dies with this process)."""
    gateway = getattr(env, "_gateway", None)
    if gateway is not None:
        try:
            gateway.shutdown()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def alfworld_calls(game_path: Path, replies: dict[str, list[str]], max_steps: int) -> list[dict[str, str]]:
    """The reference's prompts on one ALFWorld game, played as ``AlfredTWEnv.init_env`` plays it."""
    import textworld
    import textworld.gym
    from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

    request_infos = textworld.EnvInfos(won=True, admissible_commands=True, extras=["gamefile"])
    env_id = textworld.gym.register_games(
        [str(game_path)],
        request_infos,
        batch_size=1,
        asynchronous=False,
        max_episode_steps=REFERENCE_ENV_STEP_LIMIT,
        wrappers=[AlfredDemangler(shuffle=False), AlfredInfos],
    )
    env = textworld.gym.make(env_id)
    try:
        obs, _info = env.reset()
        task_description, room_desc = alfworld_task_and_room(obs[0])

        def step(action: str) -> tuple[str, bool]:
            obs_, _reward, done, _info_ = env.step([action])
            return obs_[0] + f" {room_desc}", bool(done[0])

        model = ScriptedModel(replies)
        run_loop(task_description, room_desc, step, lambda o: process_obs(o, mode="alfworld"), model, max_steps)
        return model.calls
    finally:
        env.close()


def alfworld_game_path(game_file: str) -> Path:
    """``<split>/<task-dir>/<trial-dir>`` under the ALFWorld data folder's json_2.1.1/."""
    from .alfworld_env import GAME_FILE, default_data_dir

    data = default_data_dir(Path(__file__).resolve().parents[2])
    if data is None:
        raise ValueError("no ALFWorld data folder (set ALFWORLD_DATA)")
    path = data / "json_2.1.1" / game_file.strip("/")
    return path if path.name == GAME_FILE else path / GAME_FILE


def golden_calls(case: dict[str, Any]) -> list[dict[str, str]]:
    """The reference's calls for one case (see the module docstring for its fields)."""
    replies = case["replies"]
    max_steps = int(case.get("max_steps", 50))
    if case["env"] == "scienceworld":
        return scienceworld_calls(case["task"], int(case.get("variation", 0)), replies, max_steps)
    if case["env"] == "alfworld":
        return alfworld_calls(alfworld_game_path(case["game_file"]), replies, max_steps)
    raise ValueError(f"unknown env {case['env']!r}; use scienceworld or alfworld")


def main() -> int:
    request = json.load(sys.stdin)
    out = {"cases": [{"calls": golden_calls(case)} for case in request["cases"]]}
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
