"""A training run on disk: prepare it, train it in resumable chunks, export the dev-selected checkpoint.

Layout of RUN_DIR: `config.json` (the resolved config), and per stage `<stage>/metrics.jsonl` (one JSON
line per optimizer step and per dev evaluation), `<stage>/checkpoints/step-<n>/` (complete resumable
state, written to a temp folder then renamed), `<stage>/snapshots/step-<n>/` (adapter + critics at each
dev evaluation, what `finalize` selects from) and `<stage>/final/` (the export).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

Heartbeat = Optional[Callable[[dict], Any]]


def prepare_run(run_dir: str, config: dict) -> dict:
    """Idempotent. Checks the config's datasets exist (a clear error names the missing file), writes
    RUN_DIR/config.json, and returns {"stages": [...], "total_steps": {"bc": N, "rl": M},
    "rows": {"<role>.<split>": n}}. Re-running with a different config than the one already written is an error."""
    raise NotImplementedError


def train_chunk(run_dir: str, stage: str, max_steps: int, heartbeat: Heartbeat = None) -> dict:
    """Resumes `stage` from its last complete checkpoint (or from scratch; rl starts from the bc final),
    trains at most `max_steps` optimizer steps, writes a checkpoint atomically, appends
    `<stage>/metrics.jsonl`, and calls heartbeat(progress dict) at least every few seconds.
    Returns {"stage", "step", "total_steps", "epoch", "done", "metrics", "dev", "checkpoint"}.
    A chunk that ran to the end of the stage returns done=True; calling it again trains nothing."""
    raise NotImplementedError


def finalize(run_dir: str, stage: str) -> dict:
    """Exports the snapshot with the best dev metric (dev split only) to `<stage>/final/`: the PEFT adapter
    (save_pretrained), critics.safetensors (rl), base.json, curves.png. Returns {"final": path,
    "sha256": {"adapter": ..., "critics": ... or None}, "selected_step": n, "dev": {...}}."""
    raise NotImplementedError
