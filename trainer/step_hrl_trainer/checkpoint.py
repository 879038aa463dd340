"""Atomic, complete checkpoints and the RNG states they carry.

A checkpoint is a folder `step-<n>` written as `step-<n>.tmp-<pid>` then renamed, so a process killed at any
moment leaves either a complete checkpoint or a stray temp folder (ignored and removed). metrics.jsonl is cut
back to the checkpoint's step on resume, so lines a killed chunk wrote after its last checkpoint never stay
duplicated."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from typing import Any

import numpy as np
import torch

_STEP_DIR = re.compile(r"^step-(\d+)$")


def rng_state() -> dict:
    """Every RNG the training touches: python, numpy's global, torch CPU (and CUDA when present)."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def write_dir_atomic(final: str, files: dict[str, Any]) -> str:
    """Writes `files` ({name: bytes | str | callable(path)}) into `final` through a temp folder and a rename."""
    parent = os.path.dirname(final)
    os.makedirs(parent, exist_ok=True)
    tmp = f"{final}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for name, content in files.items():
        path = os.path.join(tmp, name)
        if callable(content):
            content(path)
        else:
            with open(path, "wb" if isinstance(content, bytes) else "w") as f:
                f.write(content)
    _fsync_dir(tmp)
    old = None
    if os.path.exists(final):  # a re-run of a killed chunk rewrites the same content
        old = f"{final}.tmp-old-{os.getpid()}"  # renamed away whole, never left half deleted under its name
        os.rename(final, old)
    os.rename(tmp, final)
    _fsync_dir(parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def complete_steps(folder: str) -> list[int]:
    """Steps of the complete `step-<n>` folders under `folder`, ascending; stray temp folders are removed."""
    if not os.path.isdir(folder):
        return []
    steps = []
    for name in os.listdir(folder):
        m = _STEP_DIR.match(name)
        if m:
            steps.append(int(m.group(1)))
        elif ".tmp-" in name:
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
    return sorted(steps)


def save_checkpoint(folder: str, step: int, state: dict, keep: int = 1) -> str:
    """Saves the training state as `folder/step-<step>/state.pt`; keeps the newest `keep` checkpoints."""
    path = write_dir_atomic(os.path.join(folder, f"step-{step}"), {"state.pt": lambda p: torch.save(state, p)})
    for old in complete_steps(folder)[:-keep]:
        shutil.rmtree(os.path.join(folder, f"step-{old}"), ignore_errors=True)
    return path


def load_latest(folder: str) -> tuple[int, dict] | None:
    """(step, state) of the newest complete checkpoint, or None."""
    steps = complete_steps(folder)
    if not steps:
        return None
    state = torch.load(os.path.join(folder, f"step-{steps[-1]}", "state.pt"), weights_only=False)
    return steps[-1], state


def truncate_metrics(path: str, step: int) -> None:
    """Drops metrics lines with a step after `step` (written by a chunk killed before its checkpoint) and a
    torn last line."""
    if not os.path.isfile(path):
        return
    keep = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            if json.loads(line)["step"] <= step:
                keep.append(line)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(keep)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def append_metrics(path: str, line: dict) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")
        f.flush()
