"""The training config's optional ``evaluate`` section (eval_config.py): defaults to the env's dev split,
refuses the unseen split unless it is the final report, and leaves configs without it unchanged."""

from __future__ import annotations

import pytest

from step_hrl_trainer.config import ConfigError, resolve_config


def test_defaults_fill_the_dev_split_and_the_trained_profile(tiny_cfg: dict) -> None:
    cfg = resolve_config({**tiny_cfg, "evaluate": {"env": "alfworld", "limit": 2}})
    ev = cfg["evaluate"]
    assert (ev["split"], ev["profile"], ev["limit"], ev["max_steps"]) == ("valid_seen", "paper", 2, 50)
    assert ev["threads"] == cfg["threads"] and ev["final_report"] is False
    assert resolve_config(cfg) == cfg  # idempotent


def test_a_config_without_the_section_resolves_as_before(tiny_cfg: dict) -> None:
    assert "evaluate" not in resolve_config(tiny_cfg)


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"env": "alfworld", "split": "valid_unseen"}, "final_report: true"),
        ({"env": "scienceworld", "split": "test"}, "final_report: true"),
        ({"env": "nowhere"}, "evaluate.env"),
        ({"env": "builtin", "split": "dev"}, "evaluate.split"),
        ({"env": "alfworld", "limt": 2}, "evaluate.limt"),
        ({"env": "alfworld", "max_steps": 0}, "evaluate.max_steps"),
    ],
)
def test_bad_sections_are_named(tiny_cfg: dict, section: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        resolve_config({**tiny_cfg, "evaluate": section})


def test_the_unseen_split_is_allowed_as_the_final_report(tiny_cfg: dict) -> None:
    cfg = resolve_config({**tiny_cfg, "evaluate": {"env": "alfworld", "split": "valid_unseen", "final_report": True}})
    assert cfg["evaluate"]["split"] == "valid_unseen"
