"""The real small model: SmolLM2-135M-Instruct from the GGUF that scripts/setup.sh installs, dequantized.
Its tokenizer round-trips the dataset's prompts, and a few BC steps on the real weights lower the loss."""

from __future__ import annotations

import json
import os

import pytest

from step_hrl_trainer.config import resolve_config
from step_hrl_trainer.data import load_rows
from step_hrl_trainer.model import load_base
from step_hrl_trainer.run import prepare_run, train_chunk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GGUF = os.path.join(os.environ.get("STEP_HRL_TOOLS_DIR", os.path.join(ROOT, ".tools")), "models",
                    "smollm2-135m-instruct-q4_1.gguf")
REAL = os.path.join(ROOT, "trainer", "tests", "data", "alfworld-4")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.isfile(GGUF), reason="run `bash scripts/setup.sh` to install the GGUF model"),
]


def test_gguf_loads_and_its_tokenizer_round_trips(tmp_path) -> None:
    model, tok = load_base({"kind": "gguf", "path": GGUF})
    assert model.config.hidden_size == 576 and model.config.num_hidden_layers == 30
    assert tok.eos_token == "<|im_end|>" and tok.bos_token == "<|im_start|>"  # as the GGUF says
    cfg = {"data": {"dataset": REAL, "profile": "paper", "obs": "raw", "format": "jsonl"}}
    for role in ("high", "low", "progress"):
        for row in load_rows(cfg, role, "train", str(tmp_path)):
            for text in (row["prompt"], row["completion"]):
                assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text


def test_a_few_bc_steps_on_real_weights_lower_the_loss(tmp_path) -> None:
    cfg = resolve_config({
        "base": {"kind": "gguf", "path": GGUF},
        "data": {"dataset": REAL, "max_rows": 2, "max_seq_len": 256},
        "stages": ["bc"],
        "bc": {"lr": 1e-3, "global_batch": 2, "micro_batch": 1, "max_steps": 3, "eval_every": 100},
        "selection": {"dev_max_rows": 1},
    })
    run = str(tmp_path / "run")
    assert prepare_run(run, cfg)["total_steps"] == {"bc": 3}
    out = train_chunk(run, "bc", 3)
    assert out["done"]
    with open(os.path.join(run, "bc", "metrics.jsonl"), encoding="utf-8") as f:
        train = [r for r in map(json.loads, f) if r["kind"] == "train"]
    losses = [r["loss_low"] for r in train]  # the same 2 low rows every step
    assert all(0 < l < 20 for l in losses) and losses[-1] < losses[0], losses
