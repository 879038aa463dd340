"""The config file: reference defaults, validation errors that name the field, idempotent resolution, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from step_hrl_trainer.config import ConfigError, load_config, resolve_config

TRAINER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_defaults_are_the_reference_recipe() -> None:
    cfg = resolve_config({"data": {"dataset": "d"}})
    assert cfg["lora"] == {"r": 16, "alpha": 32, "dropout": 0.05,
                           "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], "modules_to_save": []}
    assert (cfg["bc"]["lr"], cfg["bc"]["epochs"], cfg["bc"]["global_batch"], cfg["bc"]["high_interval"]) == (1e-4, 5, 128, 4)
    rl = cfg["rl"]
    assert (rl["actor_lr"], rl["critic_lr"], rl["epochs"], rl["gamma"], rl["tau"], rl["expectile"]) == (1e-5, 1e-4, 3, 0.99, 0.2, 0.95)
    assert (rl["critic_warmup_steps"], rl["advantage"]) == (100, "linear")
    assert cfg["data"]["profile"] == "paper" and cfg["stages"] == ["bc", "rl"]
    assert os.path.isabs(cfg["data"]["dataset"]) and os.path.isabs(cfg["base"]["path"])


def test_shipped_reference_config_equals_the_defaults() -> None:
    cfg = load_config(os.path.join(TRAINER, "configs", "bc-rl.yaml"))
    assert cfg == resolve_config({"data": {"dataset": cfg["data"]["dataset"]}})


def test_resolution_is_idempotent(tiny_cfg: dict) -> None:
    assert resolve_config(tiny_cfg) == tiny_cfg
    assert resolve_config(json.loads(json.dumps(tiny_cfg))) == tiny_cfg


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"data": {"dataset": "d"}, "bc": {"lrr": 1}}, "bc.lrr"),
        ({"data": {"dataset": "d"}, "rl": {"advantage": "exp"}}, "rl.advantage"),
        ({"data": {"dataset": "d"}, "bc": {"micro_batch": 256}}, "bc.micro_batch"),
        ({"data": {"dataset": "d"}, "rl": {"gamma": 1.5}}, "rl.gamma"),
        ({"data": {"dataset": "d"}, "stages": ["rl", "bc"]}, "stages"),
        ({"data": {"dataset": "d"}, "base": {"kind": "gguf"}}, "base.path"),
        ({"data": {}}, "data.dataset"),
    ],
)
def test_bad_fields_are_named(raw: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        resolve_config(raw)


def test_yaml_exponent_without_dot_is_a_number(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data: {dataset: d}\nbc: {lr: 1e-4}\n")  # YAML 1.1 reads 1e-4 as a string
    assert load_config(str(path))["bc"]["lr"] == 1e-4


def test_cli_prints_the_resolved_config(tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"data": {"dataset": "d"}, "rl": {"advantage": "awr"}}))
    out = subprocess.run([sys.executable, "-m", "step_hrl_trainer", "resolve-config", str(path)], cwd=TRAINER,
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == load_config(str(path))
    bad = subprocess.run([sys.executable, "-m", "step_hrl_trainer", "resolve-config", str(tmp_path / "none.yaml")],
                         cwd=TRAINER, capture_output=True, text=True)
    assert bad.returncode == 2 and "not found" in bad.stderr


def test_prepare_run_is_idempotent_and_keeps_its_config(tmp_path, tiny_cfg: dict) -> None:
    from step_hrl_trainer.run import prepare_run

    run = str(tmp_path / "run")
    first = prepare_run(run, tiny_cfg)
    assert first == prepare_run(run, tiny_cfg)
    assert first["rows"]["low.train"] == 48 and first["total_steps"] == {"bc": 18, "rl": 12}
    changed = {**tiny_cfg, "seed": 1}
    with pytest.raises(ConfigError, match="different config"):
        prepare_run(run, changed)
    missing = {**tiny_cfg, "data": {**tiny_cfg["data"], "dataset": str(tmp_path / "none")}}
    with pytest.raises(FileNotFoundError, match=r"high\.train\.prompt\.jsonl.*label build"):
        prepare_run(str(tmp_path / "run2"), missing)
