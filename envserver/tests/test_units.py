"""Unit tests: sessions, validation, ALFWorld intro parsing, game index."""

from __future__ import annotations

from pathlib import Path

import pytest

from step_hrl_envserver.alfworld_env import GameIndex, split_intro
from step_hrl_envserver.errors import BadAction, BadGameFile, SessionLost
from step_hrl_envserver.sessions import SessionRegistry
from step_hrl_envserver.validate import action_of

from .conftest import GAME


def test_session_ids_differ_between_registries() -> None:
    a, b = SessionRegistry[str]("x"), SessionRegistry[str]("x")
    assert a.add("s").id != b.add("s").id  # a restarted server never reuses an old id
    assert a.add("t").id < 2**53


def test_unknown_session_is_session_lost() -> None:
    reg = SessionRegistry[str]("alfworld")
    with pytest.raises(SessionLost, match="alfworld session id 5"):
        reg.get(5)


def test_closed_session_is_session_lost() -> None:
    reg = SessionRegistry[str]("alfworld")
    s = reg.add("state")
    s.closed = True
    with pytest.raises(SessionLost):
        reg.run(s.id, lambda _: None)


@pytest.mark.parametrize("action", ["", "   ", None, 3, ["look"]])
def test_bad_actions(action: object) -> None:
    with pytest.raises(BadAction, match="`action`"):
        action_of({"action": action})


def test_split_intro() -> None:
    text = "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, you see a bed 1.\n\nYour task is to: do it."
    body, look, task = split_intro(text)
    assert look.startswith("You are in the middle of a room.")
    assert task == "Your task is to: do it."
    assert body == f"{look}\n\n{task}"


def test_game_index(data_dir: Path) -> None:
    index = GameIndex(data_dir)
    games = index.games("valid_seen")
    assert [g["game_file"] for g in games] == ["valid_seen/broken/trial_1", GAME]
    assert games[1]["task_type"] == "pick_heat_then_place_in_recep"
    assert index.walkthrough(GAME)[-1].startswith("move egg")
    with pytest.raises(BadGameFile, match="not valid JSON"):
        index.walkthrough("valid_seen/broken/trial_1")
    with pytest.raises(BadGameFile, match="outside"):
        index.resolve("../../x")
    with pytest.raises(BadGameFile, match="no ALFWorld data"):
        GameIndex(data_dir / "nowhere").games(None)
