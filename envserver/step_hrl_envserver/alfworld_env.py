"""ALFWorld sessions: `game.tw-pddl` files played with textworld's PDDL backend and ALFWorld's wrappers.

ALFWorld's own ``AlfredTWEnv`` finds games through ``traj_data.json`` files (absent from the shared
data) and plays them through ``textworld.gym`` worker processes; we play each game with
``textworld.start`` and the same wrappers (``AlfredDemangler`` for object names, ``AlfredInfos``)
and request infos (``won``, ``admissible_commands``), which is what AlfredTWEnv does per game.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import textworld
from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

from . import USER_ALFWORLD_DATA
from .errors import BadGameFile, BadRequest
from .validate import optional_int, optional_str

# textworld's PDDL backend keeps process-wide parser/planner state: concurrent loads or steps in
# different sessions corrupt each other (seen as IndexError / UnboundLocalError under 4 parallel
# resets). Every textworld call in this process goes through this lock.
_TEXTWORLD_LOCK = threading.RLock()


def _reuse_loaded_pddl_state() -> None:
    """Makes the first ``reset()`` after ``load()`` reuse the PDDL state ``load()`` just built.

    textworld's ``PddlEnv.load`` translates the PDDL problem (fast-downward, seconds per game) and
    ``reset`` translates it again from scratch; the loaded state is pristine, so the second
    translation only doubles every game's start-up. Later resets (after steps) still rebuild it.
    Safe because every textworld call runs under ``_TEXTWORLD_LOCK``.
    """
    from textworld.envs.pddl import logic as pddl_logic
    from textworld.envs.pddl import pddl as tw_pddl

    if getattr(tw_pddl.PddlEnv, "_step_hrl_patched", False):
        return
    original_load, original_reset, original_step = tw_pddl.PddlEnv.load, tw_pddl.PddlEnv.reset, tw_pddl.PddlEnv.step

    def load(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = original_load(self, *args, **kwargs)
        self._step_hrl_pristine = True
        return out

    def reset(self: Any) -> Any:
        if not getattr(self, "_step_hrl_pristine", False):
            return original_reset(self)
        loaded, build = self._pddl_state, pddl_logic.PddlState
        pddl_logic.PddlState = lambda *_args, **_kwargs: loaded  # type: ignore[assignment,misc]
        try:
            return original_reset(self)
        finally:
            pddl_logic.PddlState = build  # type: ignore[misc]
            self._step_hrl_pristine = False

    def step(self: Any, command: str) -> Any:
        self._step_hrl_pristine = False
        return original_step(self, command)

    tw_pddl.PddlEnv.load, tw_pddl.PddlEnv.reset, tw_pddl.PddlEnv.step = load, reset, step  # type: ignore[method-assign]
    tw_pddl.PddlEnv._step_hrl_patched = True  # type: ignore[attr-defined]

GAME_FILE = "game.tw-pddl"
SPLITS = ("valid_seen", "valid_unseen", "train_sample", "train", "valid_train")
REQUIRED_KEYS = ("pddl_domain", "grammar", "pddl_problem")


#: How to get the games, in every "no data" error (the TS side says the same: src/envs/alfworld-data.ts).
ALFWORLD_DATA_HELP = (
    "get the games once with `pip install alfworld` then `alfworld-download --data-dir <folder>`, "
    "and `export ALFWORLD_DATA=<folder>` (the folder that holds json_2.1.1/ and logic/)"
)


def default_data_dir(repo_root: Path) -> Path | None:
    """``$ALFWORLD_DATA``; else ``../shared/data/alfworld`` next to the repo, else ``~/.cache/alfworld``
    (where ``alfworld-download`` puts the games by default), whichever holds ``json_2.1.1/``."""
    if USER_ALFWORLD_DATA:
        return Path(USER_ALFWORLD_DATA)
    for candidate in (repo_root.parent / "shared" / "data" / "alfworld", Path.home() / ".cache" / "alfworld"):
        if (candidate / "json_2.1.1").is_dir():
            return candidate
    return None


def no_data_message(data_dir: Path | None) -> str:
    """The one error for missing ALFWorld data: what was looked at, and how to get the games."""
    where = (
        f"{data_dir} has no json_2.1.1/ folder"
        if data_dir
        else "ALFWORLD_DATA is not set and no default folder holds the games"
    )
    return f"no ALFWorld data found ({where}); {ALFWORLD_DATA_HELP}"


def split_intro(text: str) -> tuple[str, str, str]:
    """Splits the first observation into (agent-facing text, room description, task line).

    ALFWorld agents drop the "-= Welcome to TextWorld, ALFRED! =-" banner (first paragraph).
    """
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    body = [p for p in paragraphs if not p.startswith("-= Welcome")]
    look = next((p for p in body if not p.startswith("Your task is to:")), "")
    task = next((p for p in body if p.startswith("Your task is to:")), "")
    return "\n\n".join(body), look, task


@dataclass
class AlfState:
    env: Any = None
    game_file: Path | None = None
    look: str = ""
    task_description: str = ""
    observation: str = ""
    won: bool = False
    last: dict[str, Any] = field(default_factory=dict)


class GameIndex:
    """Resolves and validates game files under ``<data>/json_2.1.1``; never reads outside it."""

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self.root = data_dir / "json_2.1.1" if data_dir else None

    def _require_root(self) -> Path:
        if self.root is None or not self.root.is_dir():
            raise BadGameFile(no_data_message(self.data_dir))
        return self.root

    def resolve(self, rel: str) -> Path:
        """``<split>/<task-dir>/<trial-dir>[/game.tw-pddl]`` relative to json_2.1.1."""
        root = self._require_root().resolve()
        rel = rel.strip().strip("/")
        path = (root / rel).resolve()
        if path.name != GAME_FILE:
            path = path / GAME_FILE
        if root not in path.parents:
            raise BadGameFile(f"game file {rel!r} is outside the ALFWorld data folder; give a path relative to json_2.1.1/")
        if not path.is_file():
            raise BadGameFile(
                f"ALFWorld game file {rel!r} not found under json_2.1.1/; list games with GET /alfworld/games?split=valid_seen"
            )
        return path

    def load_json(self, path: Path, rel: str) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise BadGameFile(f"ALFWorld game file {rel!r} is not valid JSON ({e}); re-download the game files") from e
        if not isinstance(data, dict) or any(not isinstance(data.get(k), str) for k in REQUIRED_KEYS):
            raise BadGameFile(
                f"ALFWorld game file {rel!r} is malformed: it needs string keys {list(REQUIRED_KEYS)}; re-download the game files"
            )
        return data

    def games(self, split: str | None) -> list[dict[str, str]]:
        root = self._require_root()
        if split is not None and split not in SPLITS:
            raise BadRequest(f"unknown ALFWorld split {split!r}; use one of {list(SPLITS)}")
        splits = [split] if split else [d.name for d in sorted(root.iterdir()) if d.is_dir()]
        out: list[dict[str, str]] = []
        for s in splits:
            for game in sorted((root / s).glob(f"*/*/{GAME_FILE}")):
                task_dir, trial_dir = game.parent.parent.name, game.parent.name
                out.append(
                    {
                        "game_file": f"{s}/{task_dir}/{trial_dir}",
                        "split": s,
                        "task": f"{task_dir}/{trial_dir}",
                        "task_type": task_dir.split("-", 1)[0],
                    }
                )
        return out

    def walkthrough(self, rel: str) -> list[str]:
        data = self.load_json(self.resolve(rel), rel)
        walk = data.get("walkthrough")
        if not isinstance(walk, list) or not walk:
            raise BadGameFile(f"ALFWorld game file {rel!r} has no `walkthrough`; use the 2.1.3 game release")
        return [str(a) for a in walk]


def game_file_of(body: dict[str, Any], index: GameIndex) -> str:
    """`game_file` (relative path, optionally split + task), or AgentGym's integer `game` index."""
    rel = optional_str(body, "game_file")
    split = optional_str(body, "split")
    if rel is None:
        game = optional_int(body, "game")
        if game is None:
            raise BadRequest("reset needs `game_file` (e.g. \"valid_seen/<task-dir>/<trial-dir>\") or an integer `game`")
        games = index.games(split)
        if not 0 <= game < len(games):
            raise BadGameFile(f"`game` index {game} is out of range (0..{len(games) - 1})")
        return games[game]["game_file"]
    if split and not rel.startswith(split + "/"):
        rel = f"{split}/{rel}"
    return rel


class AlfWorldBackend:
    """Implements the /alfworld routes' behaviour on top of :class:`SessionRegistry` sessions."""

    name = "alfworld"

    def __init__(self, data_dir: Path | None) -> None:
        _reuse_loaded_pddl_state()
        self.index = GameIndex(data_dir)
        self._infos = textworld.EnvInfos(won=True, admissible_commands=True, extras=["gamefile"])

    def new_state(self) -> AlfState:
        return AlfState()

    def reset(self, state: AlfState, body: dict[str, Any]) -> dict[str, Any]:
        with _TEXTWORLD_LOCK:
            return self._reset(state, body)

    def _reset(self, state: AlfState, body: dict[str, Any]) -> dict[str, Any]:
        world_type = body.get("world_type", "Text")
        if world_type != "Text":
            raise BadRequest(f"`world_type` {world_type!r} is not supported here; only \"Text\" (TextWorld) is")
        rel = game_file_of(body, self.index)
        path = self.index.resolve(rel)
        self.index.load_json(path, rel)  # clear error before textworld's own parser sees it
        if state.env is None or state.game_file != path:
            if state.env is not None:
                state.env.close()
                state.env = None
            try:
                state.env = textworld.start(
                    str(path), request_infos=self._infos, wrappers=[AlfredDemangler(shuffle=False), AlfredInfos]
                )
            except Exception as e:  # textworld raises many types on a bad PDDL/grammar
                raise BadGameFile(f"ALFWorld game file {rel!r} could not be loaded: {type(e).__name__}: {e}") from e
            state.game_file = path
        game_state = state.env.reset()
        text, look, task = split_intro(str(game_state.feedback))
        state.look, state.task_description, state.observation, state.won = look, task, text, False
        actions = [str(a) for a in game_state.admissible_commands]
        task_dir = path.parent.parent.name
        out = {
            "id": body.get("id"),
            "observation": text,
            "look": look,
            "task_description": task,
            "available_actions": actions,
            "valid_actions": actions,
            "game_file": rel.removesuffix("/" + GAME_FILE),
            "task_type": task_dir.split("-", 1)[0],
            "reward": 0,
            "score": 0,
            "done": False,
            "won": False,
        }
        state.last = out
        return out

    def step(self, state: AlfState, action: str, body: dict[str, Any]) -> dict[str, Any]:
        with _TEXTWORLD_LOCK:
            return self._step(state, action, body)

    def _step(self, state: AlfState, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if state.env is None:
            raise BadRequest("this ALFWorld session has not been reset yet; POST /alfworld/reset first")
        game_state, _, done = state.env.step(action)
        won = bool(game_state.won)
        reward = 1 if won and not state.won else 0
        state.won = state.won or won
        actions = [str(a) for a in game_state.admissible_commands]
        out = {
            "observation": str(game_state.feedback),
            "reward": reward,
            "score": 1 if state.won else 0,
            "done": bool(done) or state.won,
            "won": state.won,
            "available_actions": actions,
            "valid_actions": actions,
        }
        state.observation = out["observation"]
        state.last = out
        return out

    def close_state(self, state: AlfState) -> None:
        with _TEXTWORLD_LOCK:
            if state.env is not None:
                state.env.close()
                state.env = None

    def shutdown(self) -> None:
        pass
