"""Shared fixtures: a temp ALFWorld data folder and an in-process HTTP server."""

from __future__ import annotations

import json
import time
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from step_hrl_envserver.alfworld_env import AlfWorldBackend, default_data_dir
from step_hrl_envserver.http_server import EnvService, serve
from step_hrl_envserver.scienceworld_env import ScienceWorldBackend

REPO_ROOT = Path(__file__).resolve().parents[2]


def wait_until(check: Callable[[], Any], timeout_s: float) -> bool:
    """Whether ``check()`` turned true within ``timeout_s`` (polled every 50 ms)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())
GAME = "valid_seen/pick_heat_then_place_in_recep-Egg-None-CounterTop-2/trial_T20190908_122951_021026"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared = default_data_dir(REPO_ROOT)
    if shared is None or not (shared / "json_2.1.1" / GAME).is_dir():
        pytest.skip("ALFWorld data folder not available (set ALFWORLD_DATA)")
    root = tmp_path_factory.mktemp("alfdata")
    dst = root / "json_2.1.1" / GAME
    dst.mkdir(parents=True)
    shutil.copy(shared / "json_2.1.1" / GAME / "game.tw-pddl", dst / "game.tw-pddl")
    bad = root / "json_2.1.1" / "valid_seen" / "broken" / "trial_1"
    bad.mkdir(parents=True)
    (bad / "game.tw-pddl").write_text("{not json")
    return root


class Client:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=120) as res:
                return res.status, json.loads(res.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


@pytest.fixture(scope="session")
def client(data_dir: Path) -> Iterator[Client]:
    service = EnvService(ScienceWorldBackend(), AlfWorldBackend(data_dir))
    ports: list[int] = []
    httpd = serve(service, "127.0.0.1", 0, ports.append)
    yield Client(f"http://127.0.0.1:{ports[0]}")
    httpd.shutdown()
    service.shutdown()
