"""Missing ALFWorld data: every route that needs the games answers one error saying how to get them."""

from __future__ import annotations

from pathlib import Path

import pytest

from step_hrl_envserver import alfworld_env
from step_hrl_envserver.alfworld_env import AlfWorldBackend, default_data_dir
from step_hrl_envserver.http_server import EnvService, serve
from step_hrl_envserver.scienceworld_env import ScienceWorldBackend

from .conftest import Client


def assert_how_to_get_data(err: dict[str, str]) -> None:
    assert err["code"] == "BadGameFile"
    assert err["error"].startswith("no ALFWorld data found")
    for hint in ("pip install alfworld", "alfworld-download", "export ALFWORLD_DATA=<folder>", "json_2.1.1/"):
        assert hint in err["error"]


def test_empty_data_folder_over_http(tmp_path: Path) -> None:
    service = EnvService(ScienceWorldBackend(), AlfWorldBackend(tmp_path))
    ports: list[int] = []
    httpd = serve(service, "127.0.0.1", 0, ports.append)
    client = Client(f"http://127.0.0.1:{ports[0]}")
    try:
        game = "valid_seen/pick_and_place_simple-Book-None-SideTable-329/trial_T20190908_050633_745514"
        for path in ("/alfworld/games", "/alfworld/games?split=valid_seen", f"/alfworld/walkthrough?game_file={game}"):
            status, err = client.call("GET", path)
            assert status == 404, path
            assert_how_to_get_data(err)
            assert f"{tmp_path} has no json_2.1.1/ folder" in err["error"]
        _, created = client.call("POST", "/alfworld/create", {})
        status, err = client.call("POST", "/alfworld/reset", {"id": created["id"], "game_file": game})
        assert status == 404
        assert_how_to_get_data(err)
    finally:
        httpd.shutdown()
        service.shutdown()


def test_default_data_dir_needs_the_games(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alfworld_env, "USER_ALFWORLD_DATA", None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    repo = tmp_path / "repo"
    shared = tmp_path / "shared" / "data" / "alfworld"
    shared.mkdir(parents=True)  # present but empty: not a data folder
    assert default_data_dir(repo) is None
    cache = tmp_path / "home" / ".cache" / "alfworld"
    (cache / "json_2.1.1").mkdir(parents=True)  # where alfworld-download puts the games by default
    assert default_data_dir(repo) == cache
    (shared / "json_2.1.1").mkdir()
    assert default_data_dir(repo) == shared
    monkeypatch.setattr(alfworld_env, "USER_ALFWORLD_DATA", str(tmp_path / "mine"))
    assert default_data_dir(repo) == tmp_path / "mine"
