"""Behaviour cloning on the tiny model: the loss falls on a fixed dataset, the high level trains every 4th step."""

from __future__ import annotations

import json
import os

import pytest

from step_hrl_trainer.run import finalize, prepare_run, train_chunk


@pytest.fixture(scope="module")
def bc_run(tmp_path_factory: pytest.TempPathFactory, dataset_dir: str) -> str:
    from conftest import TINY_CONFIG
    from step_hrl_trainer.config import load_config

    cfg = load_config(TINY_CONFIG)
    cfg["data"]["dataset"] = dataset_dir
    cfg["stages"] = ["bc"]
    run = str(tmp_path_factory.mktemp("bc-run"))
    info = prepare_run(run, cfg)
    assert info["total_steps"] == {"bc": 18}  # 3 epochs x ceil(48 low rows / 8)
    out = train_chunk(run, "bc", 1000)
    assert out["done"] and out["step"] == 18 and out["epoch"] == 3
    return run


def lines(run: str, kind: str) -> list[dict]:
    with open(os.path.join(run, "bc", "metrics.jsonl"), encoding="utf-8") as f:
        return [r for r in map(json.loads, f) if r["kind"] == kind]


def test_bc_loss_falls(bc_run: str) -> None:
    train = lines(bc_run, "train")
    first, last = train[0]["loss_low"], sum(r["loss_low"] for r in train[-3:]) / 3
    assert last < 0.5 * first, (first, last)
    dev = [r["dev"]["loss"] for r in lines(bc_run, "dev")]
    assert dev[-1] < 0.6 * dev[0], dev


def test_high_level_loss_only_every_4th_step(bc_run: str) -> None:
    for r in lines(bc_run, "train"):
        assert ("loss_high" in r) == ((r["step"] - 1) % 4 == 0), r  # 0-based steps 0, 4, 8, ...
        assert "loss_low" in r and "loss_progress" in r
        assert r["loss"] == pytest.approx(sum(v for k, v in r.items() if k.startswith("loss_")))


def test_finalize_selects_on_dev_and_exports(bc_run: str) -> None:
    out = finalize(bc_run, "bc")
    dev = {r["step"]: r["dev"]["loss"] for r in lines(bc_run, "dev")}
    assert out["selected_step"] == min(dev, key=lambda s: (dev[s], s))
    final = out["final"]
    for name in ("adapter/adapter_model.safetensors", "adapter/adapter_config.json", "base.json", "curves.png",
                 "selection.json"):
        assert os.path.isfile(os.path.join(final, name)), name
    assert out["sha256"]["critics"] is None
    assert finalize(bc_run, "bc")["sha256"] == out["sha256"]  # idempotent
    from peft import PeftModel

    from step_hrl_trainer.model import load_base

    base = json.load(open(os.path.join(final, "base.json")))
    model = PeftModel.from_pretrained(load_base(base)[0], os.path.join(final, "adapter"))  # what a server does
    assert any("lora_A" in n for n, _ in model.named_parameters())


def test_heartbeat_reports_progress_through_loading_and_training(tmp_path, tiny_cfg: dict) -> None:
    tiny_cfg["stages"] = ["bc"]
    tiny_cfg["data"]["max_rows"] = 16
    prepare_run(str(tmp_path), tiny_cfg)
    beats: list[dict] = []
    out = train_chunk(str(tmp_path), "bc", 2, heartbeat=beats.append)
    phases = [b["phase"] for b in beats]
    assert phases[:2] == ["loading data", "loading model"] and "training" in phases
    assert [b["step"] for b in beats if b["phase"] == "training"][-2:] == [1, 2]
    assert beats[-1]["total_steps"] == out["total_steps"] == 6 and not out["done"]
    assert {"epoch", "samples", "samples_per_s", "stage"} <= set(beats[-1])
