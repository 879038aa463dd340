"""A training run on disk: prepare it, train it in resumable chunks, export the dev-selected checkpoint.

Layout of RUN_DIR: `config.json` (the resolved config), and per stage `<stage>/metrics.jsonl` (one JSON
line per optimizer step, `kind` train, and per dev evaluation, `kind` dev), `<stage>/checkpoints/step-<n>/`
(complete resumable state, written to a temp folder then renamed; the newest is kept),
`<stage>/snapshots/step-<n>/` (adapter + critics + dev metrics at each dev evaluation: what `finalize`
selects from) and `<stage>/final/` (the export).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Callable, Optional

from safetensors.torch import load_file, save_file

from .checkpoint import (
    append_metrics,
    complete_steps,
    load_latest,
    save_checkpoint,
    truncate_metrics,
    write_dir_atomic,
)
from .config import STAGES, ConfigError, resolve_config
from .data import load_all, main_role
from .stage import Stage, dump, total_steps

Heartbeat = Optional[Callable[[dict], Any]]


def read_config(run_dir: str) -> dict:
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path!r} not found: call prepare_run (or `python -m step_hrl_trainer prepare`) first")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def prepare_run(run_dir: str, config: dict) -> dict:
    """Idempotent. Checks the config's datasets exist (a clear error names the missing file), writes
    RUN_DIR/config.json, and returns {"stages": [...], "total_steps": {"bc": N, "rl": M},
    "rows": {"<role>.<split>": n}}. Re-running with a different config than the one already written is an error."""
    cfg = resolve_config(config)
    base = cfg["base"]
    if base["kind"] != "tiny" and not os.path.exists(base["path"]):
        raise FileNotFoundError(f"base model {base['path']!r} not found: run `bash scripts/setup.sh` or fix base.path")
    rows = load_all(cfg, os.path.join(run_dir, ".cache", "datasets"))
    main = main_role(cfg["data"]["roles"])
    if not rows["train"][main]:
        raise ConfigError(f"no train rows for role {main!r} in {cfg['data']['dataset']!r}: rebuild the dataset or fix data.roles")
    counts = {r: len(v) for r, v in rows["train"].items()}
    path = os.path.join(run_dir, "config.json")
    if os.path.isfile(path):
        if read_config(run_dir) != cfg:
            raise ConfigError(f"{path!r} holds a different config: use a new run folder (a run's config never changes)")
    else:
        os.makedirs(run_dir, exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(dump(cfg))
        os.replace(tmp, path)
    return {
        "stages": list(cfg["stages"]),
        "total_steps": {s: total_steps(cfg, s, counts) for s in cfg["stages"]},
        "rows": {f"{r}.{split}": len(v) for split in ("train", "dev") for r, v in rows[split].items()},
    }


def _stage_dir(run_dir: str, stage: str) -> str:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)} (got {stage!r})")
    return os.path.join(run_dir, stage)


def train_chunk(run_dir: str, stage: str, max_steps: int, heartbeat: Heartbeat = None) -> dict:
    """Resumes `stage` from its last complete checkpoint (or from scratch; rl starts from the bc final),
    trains at most `max_steps` optimizer steps, writes a checkpoint atomically, appends
    `<stage>/metrics.jsonl`, and calls heartbeat(progress dict) at least every few seconds.
    Returns {"stage", "step", "total_steps", "epoch", "done", "metrics", "dev", "checkpoint"}.
    A chunk that ran to the end of the stage returns done=True; calling it again trains nothing."""
    cfg = read_config(run_dir)
    if stage not in cfg["stages"]:
        raise ConfigError(f"stage {stage!r} is not in this run's stages {cfg['stages']}")
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1 (got {max_steps})")
    sdir = _stage_dir(run_dir, stage)
    ckpt_dir, metrics_path = os.path.join(sdir, "checkpoints"), os.path.join(sdir, "metrics.jsonl")
    os.makedirs(sdir, exist_ok=True)
    st = Stage(run_dir, cfg, stage, heartbeat)
    latest = load_latest(ckpt_dir)
    if latest is not None:
        st.restore(latest[1])
    truncate_metrics(metrics_path, st.step)  # drop what a killed chunk wrote after its checkpoint
    st.beat(force=True)
    last, dev = _last_lines(metrics_path)
    checkpoint = os.path.join(ckpt_dir, f"step-{latest[0]}") if latest else None
    start = st.step
    while st.step < st.total and st.step - start < max_steps:
        metrics = st.bc_step() if stage == "bc" else st.rl_step()
        line = {"kind": "train", "stage": stage, "step": st.step + 1, "epoch": st.step // st.spe,
                "lr": st.sched.get_last_lr()[0], **metrics}
        st.step += 1
        append_metrics(metrics_path, line)
        last = line
        if st.step % st.s["eval_every"] == 0 or st.step == st.total:
            dev = _evaluate_and_snapshot(st, sdir, metrics_path)
        st.beat(force=True)
    if st.step > start or checkpoint is None:
        checkpoint = save_checkpoint(ckpt_dir, st.step, st.state())
    return {"stage": stage, "step": st.step, "total_steps": st.total, "epoch": st.epoch(),
            "done": st.step >= st.total, "metrics": last, "dev": dev, "checkpoint": checkpoint,
            "samples_per_s": st.progress()["samples_per_s"]}


def _evaluate_and_snapshot(st: Stage, sdir: str, metrics_path: str) -> dict | None:
    dev = st.evaluate()
    append_metrics(metrics_path, {"kind": "dev", "stage": st.stage, "step": st.step, "dev": dev})
    files: dict[str, Any] = {
        "adapter.safetensors": lambda p: save_file(st.adapter_state(), p),
        "dev.json": dump({"step": st.step, "dev": dev}),
    }
    critics = st.critics_state()
    if critics is not None:
        files["critics.safetensors"] = lambda p: save_file(critics, p)
    write_dir_atomic(os.path.join(sdir, "snapshots", f"step-{st.step}"), files)
    return dev


def _last_lines(path: str) -> tuple[dict | None, dict | None]:
    last = dev = None
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if row["kind"] == "train":
                    last = row
                else:
                    dev = row["dev"]
    return last, dev


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def select_snapshot(sdir: str, metric: str) -> tuple[int, dict | None]:
    """(step, dev) of the snapshot with the lowest dev `metric` (the earliest on ties); the last snapshot
    when no snapshot has dev metrics (a dataset without dev rows). Reads only dev metrics, never test data."""
    steps = complete_steps(os.path.join(sdir, "snapshots"))
    if not steps:
        raise FileNotFoundError(f"no snapshots under {sdir!r}: train the stage to its end before finalize")
    devs = {}
    for s in steps:
        with open(os.path.join(sdir, "snapshots", f"step-{s}", "dev.json"), encoding="utf-8") as f:
            devs[s] = json.load(f)["dev"]
    scored = [(d[metric], s) for s, d in devs.items() if d is not None and metric in d]
    if not scored:
        return steps[-1], devs[steps[-1]]
    best = min(scored)[1]
    return best, devs[best]


def finalize(run_dir: str, stage: str) -> dict:
    """Exports the snapshot with the best dev metric (dev split only) to `<stage>/final/`: the PEFT adapter
    (save_pretrained), critics.safetensors (rl), base.json (the base spec load_base takes), selection.json
    (selected step, dev metrics, profile, LoRA), curves.png. Returns {"final": path,
    "sha256": {"adapter": ..., "critics": ... or None}, "selected_step": n, "dev": {...}}. Idempotent."""
    cfg = read_config(run_dir)
    sdir = _stage_dir(run_dir, stage)
    latest = complete_steps(os.path.join(sdir, "checkpoints"))
    st = Stage(run_dir, cfg, stage)  # builds the model the adapter belongs to
    if not latest or latest[-1] < st.total:
        raise ConfigError(f"stage {stage!r} is not done (step {latest[-1] if latest else 0} of {st.total}): train it first")
    step, dev = select_snapshot(sdir, cfg["selection"][stage])
    snap = os.path.join(sdir, "snapshots", f"step-{step}")
    from peft import set_peft_model_state_dict

    set_peft_model_state_dict(st.model, load_file(os.path.join(snap, "adapter.safetensors")))
    files: dict[str, Any] = {
        "adapter": lambda p: st.model.save_pretrained(p),
        "base.json": dump(cfg["base"]),  # the spec load_base takes (what a server loads the adapter onto)
        "selection.json": dump({"stage": stage, "selected_step": step, "metric": cfg["selection"][stage],
                                "split": "dev", "dev": dev, "profile": cfg["data"]["profile"],
                                "obs": cfg["data"]["obs"], "lora": cfg["lora"], "dtype": cfg["dtype"]}),
        "curves.png": lambda p: _plot(os.path.join(sdir, "metrics.jsonl"), p, stage),
    }
    if stage == "rl":
        with open(os.path.join(snap, "critics.safetensors"), "rb") as f:
            files["critics.safetensors"] = f.read()
    final = write_dir_atomic(os.path.join(sdir, "final"), files)
    critics = os.path.join(final, "critics.safetensors")
    return {
        "final": final,
        "sha256": {
            "adapter": sha256_file(os.path.join(final, "adapter", "adapter_model.safetensors")),
            "critics": sha256_file(critics) if os.path.isfile(critics) else None,
        },
        "selected_step": step,
        "dev": dev,
    }


def _plot(metrics_path: str, out: str, stage: str) -> None:
    """Loss and value curves (train per step, dev per evaluation) as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, dev = [], []
    with open(metrics_path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            (train if row["kind"] == "train" else dev).append(row)
    keys = ["loss"] if stage == "bc" else ["critic_loss", "actor_loss"]
    fig, axes = plt.subplots(1, len(keys) + (stage == "rl"), figsize=(5 * (len(keys) + (stage == "rl")), 3.5))
    axes = list(axes) if hasattr(axes, "__len__") else [axes]
    for ax, key in zip(axes, keys):
        pts = [(r["step"], r[key]) for r in train if key in r]
        if pts:
            ax.plot(*zip(*pts), label=f"train {key}")
        dpts = [(r["step"], r["dev"][key]) for r in dev if r["dev"] and key in r["dev"]]
        if dpts:
            ax.plot(*zip(*dpts), "o-", label=f"dev {key}")
        ax.set_xlabel("step")
        ax.set_title(f"{stage} {key}")
        ax.legend()
    if stage == "rl":
        ax = axes[-1]
        for key in sorted({k for r in train for k in r if k.startswith("adv_mean_")}):
            ax.plot(*zip(*[(r["step"], r[key]) for r in train if key in r]), label=key)
        ax.set_title("mean advantage Q - V")
        ax.set_xlabel("step")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=80, metadata={"Software": None})
    plt.close(fig)
