"""The optional ``evaluate`` section of a training config: the eval of the final checkpoint (issue 19 item 5).

``step-hrl train`` runs it as the run's last stage: the training worker serves the final checkpoint
(``serveCheckpoint``, serve_activity.py) and the run starts a child eval of it on the env's dev split.
The section appears in the resolved config only when the file has one, so configs without it keep
their resolved form (and their run id). Model selection stays on the dev split: an unseen split is
refused unless ``final_report: true`` says this eval is the run's final report.
"""

from __future__ import annotations

import copy
from typing import Any

#: Defaults of the section; ``split: None`` means the env's dev split (``DEV_SPLITS``).
EVALUATE_DEFAULTS: dict[str, Any] = {
    "env": None,  # builtin | alfworld | scienceworld (required)
    "split": None,
    "tasks": [],  # task types (ALFWorld), tasks (ScienceWorld, built-in); [] = all
    "per_task": None,  # ScienceWorld variations per task (the eval's default when None)
    "limit": None,  # at most N episodes, the first in plan order
    "max_steps": 50,  # the paper's evaluation budget
    "profile": None,  # paper | chat; None = data.profile (what the model was trained on)
    "agent": "step-hrl",
    "concurrency": 1,  # episodes at once (the CPU server answers one call at a time)
    "repair_attempts": 2,
    "model_name": "step-hrl-policy",  # the served model's name (STEP_HRL_MODEL of the eval's worker)
    "host": "127.0.0.1",  # the served checkpoint listens here; the eval's worker must reach it
    "threads": None,  # torch threads of the server; None = the config's threads
    "load_timeout_seconds": 900,  # longest model load before the serve attempt fails
    "final_report": False,  # true: allow an unseen split (the run's final report, not model selection)
}

#: The dev split of each env: the only split model selection looks at.
DEV_SPLITS = {"builtin": None, "alfworld": "valid_seen", "scienceworld": "dev"}
#: Splits only a final report may use.
UNSEEN_SPLITS = {"alfworld": ("valid_unseen",), "scienceworld": ("test",)}
_SPLITS = {"alfworld": ("valid_seen", "valid_unseen", "train_sample"), "scienceworld": ("train", "dev", "test")}


def resolve_evaluate(raw: Any, data_profile: str, threads: int, error: type[ValueError]) -> dict:
    """The section with every default filled and checked; ``error`` names the field and the fix."""
    if not isinstance(raw, dict):
        raise error("config field 'evaluate' must be a mapping (env, split, tasks, limit, ...)")
    out = copy.deepcopy(EVALUATE_DEFAULTS)
    for key, value in raw.items():
        if key not in out:
            raise error(
                f"unknown config field 'evaluate.{key}': remove it or fix its spelling "
                f"(known: {', '.join(sorted(out))})"
            )
        out[key] = value
    env = out["env"]
    if env not in DEV_SPLITS:
        raise error(f"config field 'evaluate.env' must be one of {', '.join(DEV_SPLITS)} (got {env!r})")
    if out["split"] is None:
        out["split"] = DEV_SPLITS[env]
    elif env == "builtin" or out["split"] not in _SPLITS[env]:
        known = "none (built-in tasks have no splits)" if env == "builtin" else ", ".join(_SPLITS[env])
        raise error(f"config field 'evaluate.split' for {env} must be {known} (got {out['split']!r})")
    if not isinstance(out["final_report"], bool):
        raise error("config field 'evaluate.final_report' must be true or false")
    if out["split"] in UNSEEN_SPLITS.get(env, ()) and not out["final_report"]:
        raise error(
            f"config field 'evaluate.split' {out['split']!r} is the unseen split: model selection uses the dev "
            f"split ({DEV_SPLITS[env]}); set 'evaluate.final_report: true' to evaluate on it as the final report"
        )
    if out["profile"] is None:
        out["profile"] = data_profile
    if out["profile"] not in ("paper", "chat"):
        raise error(f"config field 'evaluate.profile' must be paper or chat (got {out['profile']!r})")
    if out["agent"] not in ("step-hrl", "react"):
        raise error(f"config field 'evaluate.agent' must be step-hrl or react (got {out['agent']!r})")
    tasks = out["tasks"]
    if not isinstance(tasks, list) or not all(isinstance(t, str) and t for t in tasks):
        raise error("config field 'evaluate.tasks' must be a list of task names ([] = all)")
    if out["threads"] is None:
        out["threads"] = threads
    for key, low in (("max_steps", 1), ("concurrency", 1), ("repair_attempts", 0), ("threads", 1),
                     ("load_timeout_seconds", 1)):
        _int(out, key, low, error)
    for key in ("per_task", "limit"):
        if out[key] is not None:
            _int(out, key, 0, error)
    for key in ("model_name", "host"):
        if not isinstance(out[key], str) or not out[key]:
            raise error(f"config field 'evaluate.{key}' must be a non-empty string")
    return out


def _int(out: dict, key: str, low: int, error: type[ValueError]) -> None:
    v = out[key]
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        raise error(f"config field 'evaluate.{key}' must be an integer >= {low} (got {v!r})")
