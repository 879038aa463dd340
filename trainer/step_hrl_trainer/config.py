"""One config file holds a whole training run: base model, data, LoRA, BC and RL (issue 19 items 1-2).

`resolve_config` fills every default (the reference recipe of research notes §4), checks every field and
makes paths absolute, so the resolved dict can be frozen into a workflow input and run anywhere on the
same machine. Unknown keys are errors: a typo must not silently fall back to a default.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import yaml

from .eval_config import resolve_evaluate

ROLES = ("high", "low", "progress")
STAGES = ("bc", "rl")

# The reference recipe (research notes §4); every deviation is a documented switch below.
DEFAULTS: dict[str, Any] = {
    "base": {"kind": "gguf", "path": ".tools/models/smollm2-135m-instruct-q4_1.gguf"},
    "data": {
        "dataset": None,  # the folder `step-hrl label build --out` wrote
        "profile": "paper",  # paper: raw prompt + BOS, no chat template; chat: tokenizer's chat template
        "obs": "raw",
        "roles": list(ROLES),
        "format": "jsonl",  # jsonl (<role>.<split>.prompt.jsonl) or parquet (<role>.<split>.parquet)
        "max_rows": None,  # first N rows per role and split (a CI subset); None = all
        "max_seq_len": 1024,  # prompt truncated from the left so the target always fits
    },
    "stages": ["bc", "rl"],
    "seed": 0,
    "threads": 1,  # torch intra-op threads; fixed so CPU results are bit-identical run to run
    "device": "cpu",
    "dtype": "float32",  # float32 | bfloat16 (GPU)
    "gradient_checkpointing": False,
    "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
             "modules_to_save": []},  # fully trained extra modules (PEFT); the reference trains LoRA only
    "bc": {
        "lr": 1e-4,
        "epochs": 5,
        "global_batch": 128,  # rows per role per optimizer step, reached by gradient accumulation
        "micro_batch": 8,
        "high_interval": 4,  # the high-level loss joins only every 4th step (steps 0, 4, 8, ...)
        "weight_decay": 0.0,
        "max_grad_norm": None,
        "scheduler": "constant",  # constant | linear | cosine (after warmup_steps of linear warm-up)
        "warmup_steps": 0,
        "eval_every": 200,  # dev evaluation (and a selectable snapshot) every N steps and at the end
        "max_steps": None,  # stop the stage early (CI); None = epochs x steps per epoch
    },
    "rl": {
        "actor_lr": 1e-5,
        "critic_lr": 1e-4,
        "epochs": 3,
        "global_batch": 128,
        "micro_batch": 8,
        "high_interval": 4,
        "gamma": 0.99,
        "tau": 0.2,  # soft update of the target critics after every critic step
        "expectile": 0.95,  # weight where V > Q_target (the reference's conservative V)
        "critic_warmup_steps": 100,  # critic-only steps before the actor loss starts
        "critic_hidden": None,  # MLP width; None = the backbone's hidden size (the reference)
        "advantage": "linear",  # linear: -(Q-V) log pi (the reference); awr: -min(exp((Q-V)/beta), max) log pi
        "awr_beta": 1.0,
        "awr_max_weight": 20.0,
        "init": "bc",  # bc: start from the bc stage's final adapter when the run has one; scratch: fresh LoRA
        "weight_decay": 0.0,
        "max_grad_norm": None,
        "scheduler": "constant",
        "warmup_steps": 0,
        "eval_every": 250,
        "max_steps": None,
    },
    "selection": {
        "bc": "loss",  # dev metric minimised by finalize
        "rl": "actor_loss",
        "dev_max_rows": None,  # first N dev rows per role; None = all
    },
}

_CHOICES = {
    ("base", "kind"): ("gguf", "tiny", "hf"),
    ("data", "profile"): ("paper", "chat"),
    ("data", "obs"): ("raw", "compact"),
    ("data", "format"): ("jsonl", "parquet"),
    ("dtype",): ("float32", "bfloat16"),
    ("bc", "scheduler"): ("constant", "linear", "cosine"),
    ("rl", "scheduler"): ("constant", "linear", "cosine"),
    ("rl", "advantage"): ("linear", "awr"),
    ("rl", "init"): ("bc", "scratch"),
    ("selection", "bc"): ("loss",),
    ("selection", "rl"): ("actor_loss", "critic_loss", "loss"),
}

# Keys of `base` per kind (a tiny model's shape; a path for the others).
_BASE_KEYS = {
    "gguf": {"kind": None, "path": None},
    "hf": {"kind": None, "path": None},
    "tiny": {
        "kind": None,
        "vocab_size": 512,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "seed": 0,
    },
}


class ConfigError(ValueError):
    """A config field is missing, unknown or out of range; the message names the field and the fix."""


def load_config(path: str) -> dict:
    """Reads a YAML or JSON config file and returns `resolve_config` of it."""
    if not os.path.isfile(path):
        raise ConfigError(f"config file {path!r} not found: pass the path of a YAML or JSON file (see trainer/configs/)")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        raw = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"config file {path!r} does not parse: {e}") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path!r} must hold a mapping at the top level")
    return resolve_config(raw)


def resolve_config(raw: dict) -> dict:
    """Returns the full config: defaults filled, fields validated, paths absolute. Idempotent."""
    if not isinstance(raw, dict):
        raise ConfigError("config must be a mapping")
    cfg = _merge(copy.deepcopy(DEFAULTS), {k: v for k, v in raw.items() if k not in ("base", "evaluate")}, "")
    cfg["base"] = _resolve_base(raw.get("base", DEFAULTS["base"]))
    _validate(cfg)
    # Only when given: a config without the eval stage keeps its resolved form (and its run id).
    if raw.get("evaluate") is not None:
        cfg["evaluate"] = resolve_evaluate(raw["evaluate"], cfg["data"]["profile"], cfg["threads"], ConfigError)
    for key in ("dataset",):
        if cfg["data"][key] is not None:
            cfg["data"][key] = os.path.abspath(cfg["data"][key])
    if cfg["base"]["kind"] in ("gguf", "hf"):
        cfg["base"]["path"] = os.path.abspath(cfg["base"]["path"])
    return cfg


def _merge(into: dict, raw: dict, where: str) -> dict:
    for key, value in raw.items():
        name = f"{where}{key}"
        if key not in into:
            raise ConfigError(f"unknown config field {name!r}: remove it or fix its spelling (known: {', '.join(sorted(into))})")
        if isinstance(into[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config field {name!r} must be a mapping")
            _merge(into[key], value, name + ".")
        else:
            into[key] = value
    return into


def _resolve_base(raw: Any) -> dict:
    if not isinstance(raw, dict) or raw.get("kind") not in _BASE_KEYS:
        raise ConfigError(f"config field 'base.kind' must be one of {', '.join(_BASE_KEYS)} (got {raw!r})")
    base = _merge(copy.deepcopy(_BASE_KEYS[raw["kind"]]), raw, "base.")
    if raw["kind"] != "tiny" and not isinstance(base.get("path"), str):
        raise ConfigError(f"config field 'base.path' is required for base.kind {raw['kind']!r}: the model file or folder")
    if raw["kind"] == "tiny":
        for key, value in base.items():
            if key != "kind" and (not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "seed" else 1)):
                raise ConfigError(f"config field 'base.{key}' must be a positive integer (got {value!r})")
    return base


def _validate(cfg: dict) -> None:
    for path, choices in _CHOICES.items():
        value = cfg
        for key in path:
            value = value[key]
        if value not in choices:
            raise ConfigError(f"config field {'.'.join(path)!r} must be one of {', '.join(choices)} (got {value!r})")
    if cfg["data"]["dataset"] is None or not isinstance(cfg["data"]["dataset"], str):
        raise ConfigError("config field 'data.dataset' is required: the folder `step-hrl label build --out` wrote")
    roles = cfg["data"]["roles"]
    if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles) or len(set(roles)) != len(roles):
        raise ConfigError(f"config field 'data.roles' must be a non-empty list of distinct roles from {', '.join(ROLES)}")
    stages = cfg["stages"]
    if not isinstance(stages, list) or not stages or any(s not in STAGES for s in stages) or len(set(stages)) != len(stages):
        raise ConfigError("config field 'stages' must be a non-empty list from bc, rl (in that order)")
    if stages != [s for s in STAGES if s in stages]:
        raise ConfigError("config field 'stages' must list bc before rl")
    _positive_int(cfg, "seed", allow_zero=True)
    _positive_int(cfg, "threads")
    _positive_int(cfg, "data.max_seq_len")
    _optional_positive_int(cfg, "data.max_rows")
    _optional_positive_int(cfg, "selection.dev_max_rows")
    _positive_int(cfg, "lora.r")
    _positive_number(cfg, "lora.alpha")
    _fraction(cfg, "lora.dropout", closed=False)
    if not isinstance(cfg["lora"]["target_modules"], list) or not cfg["lora"]["target_modules"]:
        raise ConfigError("config field 'lora.target_modules' must be a non-empty list of module names")
    if not isinstance(cfg["lora"]["modules_to_save"], list):
        raise ConfigError("config field 'lora.modules_to_save' must be a list of module names (usually empty)")
    for stage, lrs in (("bc", ("lr",)), ("rl", ("actor_lr", "critic_lr"))):
        for lr in lrs:
            _positive_number(cfg, f"{stage}.{lr}")
        for key in ("epochs", "global_batch", "micro_batch", "high_interval", "eval_every"):
            _positive_int(cfg, f"{stage}.{key}")
        _positive_int(cfg, f"{stage}.warmup_steps", allow_zero=True)
        _optional_positive_int(cfg, f"{stage}.max_steps")
        _number(cfg, f"{stage}.weight_decay")
        if cfg[stage]["max_grad_norm"] is not None:
            _positive_number(cfg, f"{stage}.max_grad_norm")
        if cfg[stage]["micro_batch"] > cfg[stage]["global_batch"]:
            raise ConfigError(f"config field '{stage}.micro_batch' must be at most '{stage}.global_batch'")
    _fraction(cfg, "rl.gamma", closed=True)
    _fraction(cfg, "rl.tau", closed=True)
    _fraction(cfg, "rl.expectile", closed=True)
    _positive_int(cfg, "rl.critic_warmup_steps", allow_zero=True)
    _optional_positive_int(cfg, "rl.critic_hidden")
    _positive_number(cfg, "rl.awr_beta")
    _positive_number(cfg, "rl.awr_max_weight")
    if not isinstance(cfg["device"], str):
        raise ConfigError("config field 'device' must be a torch device string such as cpu or cuda")
    if not isinstance(cfg["gradient_checkpointing"], bool):
        raise ConfigError("config field 'gradient_checkpointing' must be true or false")


def _get(cfg: dict, name: str) -> Any:
    value: Any = cfg
    for key in name.split("."):
        value = value[key]
    return value


def _positive_int(cfg: dict, name: str, allow_zero: bool = False) -> None:
    v = _get(cfg, name)
    if not isinstance(v, int) or isinstance(v, bool) or v < (0 if allow_zero else 1):
        raise ConfigError(f"config field {name!r} must be an integer >= {0 if allow_zero else 1} (got {v!r})")


def _optional_positive_int(cfg: dict, name: str) -> None:
    if _get(cfg, name) is not None:
        _positive_int(cfg, name)


def _number(cfg: dict, name: str) -> None:
    v = _get(cfg, name)
    if isinstance(v, str):  # YAML 1.1 reads `1e-4` (no dot) as a string
        try:
            v = float(v)
        except ValueError:
            pass
        else:
            *parents, last = name.split(".")
            holder = cfg
            for key in parents:
                holder = holder[key]
            holder[last] = v
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise ConfigError(f"config field {name!r} must be a number (got {v!r})")


def _positive_number(cfg: dict, name: str) -> None:
    _number(cfg, name)
    if _get(cfg, name) <= 0:
        raise ConfigError(f"config field {name!r} must be > 0 (got {_get(cfg, name)!r})")


def _fraction(cfg: dict, name: str, closed: bool) -> None:
    _number(cfg, name)
    v = _get(cfg, name)
    if not (0 <= v <= 1 if closed else 0 <= v < 1):
        raise ConfigError(f"config field {name!r} must be in [0, 1{']' if closed else ')'} (got {v!r})")
