"""ScienceWorld sessions: one simulator JVM per session, plus one shared JVM for catalog and gold queries."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from py4j.java_gateway import CallbackServerParameters, GatewayParameters, JavaGateway, launch_gateway
from scienceworld import ScienceWorldEnv
from scienceworld.constants import BASEPATH, ID2TASK, JAR_PATH
from scienceworld.utils import infer_task

from .errors import BadRequest, BadVariation, UnknownTask
from .validate import optional_int, optional_str
from .warm_pool import WarmPool

#: Simulator task names, in task-id order (1-1 ... 10-2).
TASK_NAMES: list[str] = list(ID2TASK.values())
SPLITS = ("train", "dev", "test")
#: AgentGym's sciworld server leaves these task ids out of its `data_idx` numbering.
AGENTGYM_EXCLUDED_IDS = {"5-1", "5-2", "9-1", "9-2", "9-3", "10-1", "10-2"}


class ClosableScienceWorldEnv(ScienceWorldEnv):
    """ScienceWorldEnv that keeps its JVM process handle so :meth:`close` can end it.

    scienceworld 1.1.3 has no ``close()`` and drops the Popen handle, so each session would leak a
    JVM until the server exits. Same launch as upstream (non-debug path), with ``return_proc``.
    """

    def __init__(self, env_step_limit: int = 100) -> None:  # noqa: D107 - mirrors upstream
        port, self._proc = launch_gateway(
            classpath=JAR_PATH, die_on_exit=True, cwd=BASEPATH, return_proc=True
        )
        self._gateway = JavaGateway(
            gateway_parameters=GatewayParameters(auto_field=True, port=port),
            callback_server_parameters=CallbackServerParameters(port=0, daemonize=True),
        )
        python_port = self._gateway.get_callback_server().get_listening_port()
        self._gateway.java_gateway_server.resetCallbackClient(
            self._gateway.java_gateway_server.getCallbackClient().getAddress(), python_port
        )
        self.server = self._gateway.jvm.scienceworld.runtime.pythonapi.PythonInterface()
        self.lastStepScore = 0
        self.taskName = None
        self.envStepLimit = env_step_limit
        self.clearRunHistories()
        self.goldPathGenerated = False
        self.simplificationStr = ""
        self.variationIdx = 0
        #: Whether the next steps list the valid actions (upstream always does; see below).
        self.list_valid_actions = True

    def getValidActionObjectCombinations(self) -> list[str]:  # noqa: N802 - upstream's name
        # Upstream's step() enumerates every valid action for its info, which is most of a step's
        # cost (about 9 in 10 here); a response holds them only when its request asked for them.
        return super().getValidActionObjectCombinations() if self.list_valid_actions else []

    def close(self) -> None:
        try:
            self._gateway.shutdown()
        finally:
            self._proc.kill()
            self._proc.wait(timeout=10)


@dataclass
class SciState:
    env: ClosableScienceWorldEnv
    task_name: str | None = None
    variation: int | None = None
    observation: str = ""
    last: dict[str, Any] | None = None


def resolve_task(name: Any) -> str:
    """Accepts a task name ("boil"), a task id ("1-1") or the paper's "topic task" name."""
    if not isinstance(name, str) or not name.strip():
        raise UnknownTask(f"`task_name` must be a ScienceWorld task name, got {name!r}; see GET /scienceworld/tasks")
    resolved = infer_task(name.strip())
    if resolved not in TASK_NAMES:
        raise UnknownTask(
            f"unknown ScienceWorld task {name!r}; use one of the 30 task names from GET /scienceworld/tasks "
            f"(e.g. {TASK_NAMES[0]!r})"
        )
    return resolved


def parse_simplifications(body: dict[str, Any]) -> str:
    """Simplifications are off unless asked for (comma-separated, e.g. "easy" or "teleportAction")."""
    raw = body.get("simplifications", "")
    if raw is None:
        return ""
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return ",".join(raw)
    if isinstance(raw, str):
        return raw
    raise BadRequest(f"`simplifications` must be a comma-separated string or a list of strings, got {raw!r}")


class Catalog:
    """Task/variation catalog and gold sequences, served from one dedicated simulator (lazy, locked)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._env: ClosableScienceWorldEnv | None = None
        self._max_variations: dict[str, int] = {}
        self._splits: dict[tuple[str, str], list[int]] = {}

    def _sim(self) -> ClosableScienceWorldEnv:
        if self._env is None:
            self._env = ClosableScienceWorldEnv()
        return self._env

    def max_variations(self, task: str) -> int:
        with self._lock:
            if task not in self._max_variations:
                self._max_variations[task] = int(self._sim().getMaxVariations(task))
            return self._max_variations[task]

    def variations(self, task: str, split: str) -> list[int]:
        if split not in SPLITS:
            raise BadRequest(f"unknown ScienceWorld split {split!r}; use one of {list(SPLITS)}")
        with self._lock:
            if (task, split) not in self._splits:
                sim = self._sim()
                sim.load(task, 0, "")
                self._splits[(task, "train")] = [int(v) for v in sim.getVariationsTrain()]
                self._splits[(task, "dev")] = [int(v) for v in sim.getVariationsDev()]
                self._splits[(task, "test")] = [int(v) for v in sim.getVariationsTest()]
            return list(self._splits[(task, split)])

    def check_variation(self, task: str, variation: int, split: str | None) -> None:
        n = self.max_variations(task)
        if not 0 <= variation < n:
            raise BadVariation(
                f"variation {variation} is out of range for ScienceWorld task {task!r}: it has {n} variations (0..{n - 1})"
            )
        if split is not None and variation not in self.variations(task, split):
            raise BadVariation(
                f"variation {variation} of ScienceWorld task {task!r} is not in its {split!r} split; "
                f"see GET /scienceworld/variations?task_name={task}&split={split}"
            )

    def gold(self, task: str, variation: int, simplifications: str) -> list[str]:
        self.check_variation(task, variation, None)
        with self._lock:
            sim = self._sim()
            sim.load(task, variation, simplifications, generateGoldPath=True)
            return [str(a) for a in sim.getGoldActionSequence()]

    def agentgym_games(self) -> list[tuple[str, int]]:
        """AgentGym's `data_idx` numbering: every variation of every task outside its exclusion list."""
        games: list[tuple[str, int]] = []
        for task_id, task in ID2TASK.items():
            if task_id not in AGENTGYM_EXCLUDED_IDS:
                games += [(task, i) for i in range(self.max_variations(task))]
        return games

    def close(self) -> None:
        with self._lock:
            if self._env is not None:
                self._env.close()
                self._env = None


def payload(state: SciState, obs: str, reward: float, done: bool, info: dict[str, Any], valid: bool) -> dict[str, Any]:
    """Step/reset response; `valid_actions` only on request (ScienceWorld lists hundreds)."""
    score = int(info["score"])
    body: dict[str, Any] = {
        "observation": obs,
        "reward": reward,
        "score": score,
        "done": bool(done),
        "won": score >= 100,
        "look": info["look"],
        "inventory": info["inv"],
        "moves": int(info["moves"]),
    }
    if valid:
        body["valid_actions"] = [str(a) for a in info["valid"]]
    state.observation = obs
    state.last = body
    return body


#: After a session took the spare, its reset and replay get the cores this long before the next spare starts.
SPARE_REFILL_DELAY_S = 1.0


class ScienceWorldBackend:
    """Implements the /scienceworld routes' behaviour on top of :class:`SessionRegistry` sessions."""

    name = "scienceworld"

    def __init__(self, spares: int = 1, prestart: bool = False) -> None:
        self.catalog = Catalog()
        #: Session simulators started ahead of need (see warm_pool): a new session skips the JVM's start.
        self.simulators: WarmPool[ClosableScienceWorldEnv] = WarmPool(
            ClosableScienceWorldEnv,
            lambda env: env.close(),
            spares,
            prestart,
            refill_delay_s=SPARE_REFILL_DELAY_S,
        )

    def new_state(self) -> SciState:
        return SciState(env=self.simulators.take())

    def reset(self, state: SciState, body: dict[str, Any]) -> dict[str, Any]:
        data_idx = optional_int(body, "data_idx")
        if data_idx is not None and body.get("task_name") is None:
            games = self.catalog.agentgym_games()
            if not 0 <= data_idx < len(games):
                raise BadVariation(f"`data_idx` {data_idx} is out of range (0..{len(games) - 1})")
            task, variation = games[data_idx]
        else:
            task = resolve_task(body.get("task_name"))
            variation = optional_int(body, "variation") or 0
        split = optional_str(body, "split")
        self.catalog.check_variation(task, variation, split)
        simplifications = parse_simplifications(body)
        step_limit = optional_int(body, "env_step_limit")
        env = state.env
        if step_limit is not None:
            env.envStepLimit = step_limit
        env.list_valid_actions = valid = bool(body.get("valid_actions", False))
        try:
            env.load(task, variation, simplifications)
        except ValueError as e:  # unknown simplification, or one the task forbids
            raise BadRequest(f"cannot load {task!r} variation {variation}: {e}") from e
        obs, info = env.reset()
        state.task_name, state.variation = task, variation
        out = payload(state, obs, 0, False, info, valid)
        out.update(
            {
                "id": body.get("id"),
                "task_name": task,
                "var_num": variation,
                "task_description": str(env.taskdescription()),
                "simplifications": simplifications,
            }
        )
        return out

    def step(self, state: SciState, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if state.task_name is None:
            raise BadRequest("this ScienceWorld session has not been reset yet; POST /scienceworld/reset first")
        state.env.list_valid_actions = valid = bool(body.get("valid_actions", False))
        obs, reward, done, info = state.env.step(action)
        return payload(state, obs, reward, done, info, valid)

    def gold_in_session(self, state: SciState, task: str, variation: int, simplifications: str) -> list[str]:
        self.catalog.check_variation(task, variation, None)
        state.env.load(task, variation, simplifications, generateGoldPath=True)
        state.task_name = None  # the session now needs a reset before stepping
        return [str(a) for a in state.env.getGoldActionSequence()]

    def close_state(self, state: SciState) -> None:
        state.env.close()

    def shutdown(self) -> None:
        self.simulators.shutdown()
        self.catalog.close()
