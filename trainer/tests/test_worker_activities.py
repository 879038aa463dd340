"""The training activities (activities.py) around a fake trainer: results in the TypeScript records'
spelling, heartbeats of the latest progress, cancellation abandons the chunk at its next report,
a bad config is final (never retried), and one process trains a run dir at a time."""

from __future__ import annotations

import asyncio
import threading
import time
import types

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from step_hrl_trainer.activities import BAD_CONFIG, RUN_DIR_BUSY, ChunkAbandoned, TrainingActivities


def fake_trainer(step_seconds: float = 0.05) -> types.SimpleNamespace:
    state = {"step": 0, "abandoned": False}

    def prepare_run(run_dir: str, config: dict) -> dict:
        if "data" not in config:
            raise ValueError("data.dataset is missing; set it to the folder `step-hrl label build` wrote")
        return {"stages": ["bc"], "total_steps": {"bc": 6}, "rows": {"low.train": 10}}

    def train_chunk(run_dir: str, stage: str, max_steps: int, heartbeat=None) -> dict:
        try:
            for _ in range(max_steps):
                time.sleep(step_seconds)
                state["step"] += 1
                if heartbeat:
                    heartbeat({"stage": stage, "step": state["step"], "total_steps": 6, "last_loss": 1.0})
        except ChunkAbandoned:
            state["abandoned"] = True
            raise
        return {
            "stage": stage,
            "step": state["step"],
            "total_steps": 6,
            "epoch": 0,
            "done": state["step"] >= 6,
            "metrics": {"loss": 0.5},
            "dev": None,
            "checkpoint": f"{run_dir}/{stage}/checkpoints/step-{state['step']}",
        }

    def finalize(run_dir: str, stage: str) -> dict:
        return {"final": f"{run_dir}/{stage}/final", "sha256": {"adapter": "ab"}, "selected_step": 6, "dev": {}}

    return types.SimpleNamespace(prepare_run=prepare_run, train_chunk=train_chunk, finalize=finalize, state=state)


def test_chunk_result_and_heartbeats_use_the_records_spelling(tmp_path) -> None:
    trainer = fake_trainer()
    acts = TrainingActivities(trainer, beat_seconds=0.02)
    env = ActivityEnvironment()
    beats: list = []
    env.on_heartbeat = lambda *details: beats.append(details[0])
    out = asyncio.run(env.run(acts.train_chunk, {"runDir": str(tmp_path), "stage": "bc", "maxSteps": 3}))
    assert out["step"] == 3 and out["totalSteps"] == 6 and out["done"] is False
    assert beats[0] == {"stage": "bc", "phase": "loading"}
    assert any(b.get("step", 0) >= 1 and b.get("totalSteps") == 6 and b.get("lastLoss") == 1.0 for b in beats)
    final = asyncio.run(env.run(acts.finalize_stage, {"runDir": str(tmp_path), "stage": "bc"}))
    assert final["selectedStep"] == 6 and final["sha256"] == {"adapter": "ab"}


def test_a_bad_config_is_not_retryable(tmp_path) -> None:
    acts = TrainingActivities(fake_trainer())
    with pytest.raises(ApplicationError) as err:
        asyncio.run(ActivityEnvironment().run(acts.prepare_run, {"runDir": str(tmp_path), "config": {}}))
    assert err.value.non_retryable and err.value.type == BAD_CONFIG
    assert "data.dataset is missing" in str(err.value)


def test_cancel_abandons_the_chunk_at_its_next_report(tmp_path) -> None:
    trainer = fake_trainer(step_seconds=0.1)
    acts = TrainingActivities(trainer, beat_seconds=0.02)
    env = ActivityEnvironment()

    async def go() -> None:
        task = asyncio.ensure_future(env.run(acts.train_chunk, {"runDir": str(tmp_path), "stage": "bc", "maxSteps": 50}))
        await asyncio.sleep(0.35)
        env.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert trainer.state["abandoned"] and trainer.state["step"] < 10


def test_one_process_trains_a_run_dir_at_a_time(tmp_path) -> None:
    acts = TrainingActivities(fake_trainer(step_seconds=0.1), beat_seconds=0.02)
    started = threading.Event()

    async def go() -> None:
        first = asyncio.ensure_future(
            ActivityEnvironment().run(acts.train_chunk, {"runDir": str(tmp_path), "stage": "bc", "maxSteps": 3})
        )
        await asyncio.sleep(0.1)
        started.set()
        with pytest.raises(ApplicationError) as err:
            await ActivityEnvironment().run(acts.train_chunk, {"runDir": str(tmp_path), "stage": "bc", "maxSteps": 1})
        assert err.value.type == RUN_DIR_BUSY and not err.value.non_retryable
        await first

    asyncio.run(go())
    assert started.is_set()
