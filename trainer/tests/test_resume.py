"""Exact resume on the CPU: a run cut into chunks (one ending exactly at an epoch boundary), or killed with
SIGKILL mid-chunk and re-run, writes byte-identical metrics.jsonl and hash-identical final adapter and critics."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from step_hrl_trainer.run import finalize, prepare_run, train_chunk

TRAINER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_cfg(dataset_dir: str) -> dict:
    """24 low rows, global batch 8: 3 steps per epoch; bc 9 steps (3 epochs), rl 6 (2 epochs)."""
    from conftest import TINY_CONFIG
    from step_hrl_trainer.config import load_config

    cfg = load_config(TINY_CONFIG)
    cfg["data"].update(dataset=dataset_dir, max_rows=24)
    cfg["bc"].update(eval_every=3)
    cfg["rl"].update(eval_every=2, critic_warmup_steps=2)
    return cfg


def outcome(run: str) -> dict:
    out = {}
    for stage in ("bc", "rl"):
        with open(os.path.join(run, stage, "metrics.jsonl"), "rb") as f:
            out[f"{stage}.metrics"] = f.read()
    return out


def run_chunks(run: str, stage: str, sizes: list[int]) -> dict:
    res = None
    for n in sizes:
        res = train_chunk(run, stage, n)
    assert res["done"], res
    return finalize(run, stage)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, dataset_dir: str) -> dict:
    run = str(tmp_path_factory.mktemp("uninterrupted"))
    info = prepare_run(run, small_cfg(dataset_dir))
    assert info["total_steps"] == {"bc": 9, "rl": 6}
    bc = run_chunks(run, "bc", [1000])
    rl = run_chunks(run, "rl", [1000])
    return {"bc": bc["sha256"], "rl": rl["sha256"], **outcome(run)}


def test_chunked_run_equals_uninterrupted(tmp_path, dataset_dir: str, reference: dict) -> None:
    run = str(tmp_path)
    prepare_run(run, small_cfg(dataset_dir))
    bc = run_chunks(run, "bc", [2, 1, 4, 5])  # 2+1 ends exactly at the first epoch boundary (step 3)
    assert train_chunk(run, "bc", 3)["step"] == 9  # a chunk after the end trains nothing
    rl = run_chunks(run, "rl", [3, 1, 4])  # step 3 is rl's first epoch boundary
    assert bc["sha256"] == reference["bc"] and rl["sha256"] == reference["rl"]
    assert rl["sha256"]["critics"] is not None
    assert outcome(run) == {k: v for k, v in reference.items() if k.endswith(".metrics")}


def kill_mid_chunk(run: str, stage: str, after_step: int) -> None:
    """Starts a chunk in a subprocess and SIGKILLs it once metrics.jsonl shows `after_step`."""
    metrics = os.path.join(run, stage, "metrics.jsonl")
    proc = subprocess.Popen([sys.executable, "-m", "step_hrl_trainer", "train", run, stage], cwd=TRAINER,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.isfile(metrics):
            with open(metrics, encoding="utf-8") as f:
                steps = [json.loads(l)["step"] for l in f if l.endswith("\n")]
            if steps and max(steps) >= after_step:
                proc.send_signal(signal.SIGKILL)
                break
        time.sleep(0.02)
    assert proc.wait() == -signal.SIGKILL, "the chunk ended before it could be killed"


def test_sigkill_mid_chunk_then_rerun_equals_uninterrupted(tmp_path, dataset_dir: str, reference: dict) -> None:
    run = str(tmp_path)
    prepare_run(run, small_cfg(dataset_dir))
    train_chunk(run, "bc", 3)  # checkpoint at the epoch boundary
    kill_mid_chunk(run, "bc", after_step=5)  # lines for steps 4-5 exist, no checkpoint after step 3
    assert max(int(d.split("-")[1]) for d in os.listdir(os.path.join(run, "bc", "checkpoints"))) == 3
    bc = run_chunks(run, "bc", [1000])
    kill_mid_chunk(run, "rl", after_step=3)  # at rl's first epoch boundary, before any checkpoint: from scratch
    rl = run_chunks(run, "rl", [4, 1000])
    assert bc["sha256"] == reference["bc"] and rl["sha256"] == reference["rl"]
    assert outcome(run) == {k: v for k, v in reference.items() if k.endswith(".metrics")}
    shutil.rmtree(run)
