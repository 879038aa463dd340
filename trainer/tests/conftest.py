"""Shared fixtures: a generated dataset in the labelling job's layout and the CI config pointed at it."""

from __future__ import annotations

import os
import sys

import pytest
import torch

torch.set_num_threads(1)  # 2 shared cores: more threads only contend

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # the package, without installing it
sys.path.insert(0, HERE)

from fixture_data import write_dataset  # noqa: E402
from step_hrl_trainer.config import load_config  # noqa: E402

TINY_CONFIG = os.path.join(os.path.dirname(HERE), "configs", "tiny-test.yaml")


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_dataset(str(tmp_path_factory.mktemp("dataset")))


@pytest.fixture()
def tiny_cfg(dataset_dir: str) -> dict:
    """The CI config (configs/tiny-test.yaml) on the generated dataset; tests may edit their copy."""
    cfg = load_config(TINY_CONFIG)
    cfg["data"]["dataset"] = dataset_dir
    return cfg
