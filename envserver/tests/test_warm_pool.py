"""Spare simulators: a new session takes a ready one, its taking starts the next, shutdown ends them."""

from __future__ import annotations

import threading
import time
from typing import Any

from step_hrl_envserver.warm_pool import WarmPool

from .conftest import Client, wait_until


class Fakes:
    """Simulators that are plain numbers; ``gate`` holds every start until it is set."""

    def __init__(self) -> None:
        self.made: list[int] = []
        self.closed: list[int] = []
        self.gate = threading.Event()
        self.gate.set()

    def make(self) -> int:
        self.gate.wait(10)
        self.made.append(len(self.made))
        return self.made[-1]

    def close(self, sim: int) -> None:
        self.closed.append(sim)


def test_lazy_until_the_first_session_then_each_taking_starts_the_next() -> None:
    fakes = Fakes()
    pool = WarmPool(fakes.make, fakes.close, size=1)
    time.sleep(0.05)
    assert fakes.made == []  # nothing started before a session is asked for
    first = pool.take()
    assert wait_until(lambda: pool.ready() == 1, 10)
    second = pool.take()
    assert (first, second) == (0, 1)  # the second session got the spare started after the first
    assert pool.counts()["warm"] == 1 and pool.counts()["cold"] == 1
    assert wait_until(lambda: pool.ready() == 1, 10)
    pool.shutdown()
    assert fakes.closed == [2]  # the unused spare, and only it


def test_prestart_and_size_zero() -> None:
    fakes = Fakes()
    pool = WarmPool(fakes.make, fakes.close, size=2, prestart=True)
    assert wait_until(lambda: pool.ready() == 2, 10)
    pool.take()
    assert pool.counts()["warm"] == 1
    pool.shutdown()
    none = Fakes()
    cold = WarmPool(none.make, none.close, size=0)
    assert [cold.take(), cold.take()] == [0, 1]
    time.sleep(0.05)
    assert none.made == [0, 1] and cold.counts() == {"warm": 0, "cold": 2, "ready": 0, "size": 0}


def test_a_spare_still_starting_at_shutdown_is_closed_when_it_is_up() -> None:
    fakes = Fakes()
    fakes.gate.clear()
    pool = WarmPool(fakes.make, fakes.close, size=1, prestart=True)
    pool.shutdown()
    fakes.gate.set()
    assert wait_until(lambda: fakes.closed == [0], 10)
    assert pool.ready() == 0


def test_scienceworld_sessions_take_started_simulators(client: Client) -> None:
    """On the real backend: once a spare is up, the next session is served by it (``/stats``)."""

    def simulators() -> dict[str, int]:
        return client.call("GET", "/stats")[1]["envs"]["scienceworld"]["simulators"]

    _, first = client.call("POST", "/scienceworld/create", {})
    assert wait_until(lambda: simulators()["ready"] >= 1, 60)
    warm_before = simulators()["warm"]
    _, second = client.call("POST", "/scienceworld/create", {})
    assert simulators()["warm"] == warm_before + 1
    status, reset = client.call("POST", "/scienceworld/reset", {"id": second["id"], "task_name": "boil", "variation": 0})
    assert status == 200 and reset["task_name"] == "boil"  # a spare is a working simulator
    for sid in (first["id"], second["id"]):
        client.call("POST", "/scienceworld/close", {"id": sid})


def test_a_session_asked_for_while_a_spare_is_starting_waits_for_it() -> None:
    fakes = Fakes()
    fakes.gate.clear()
    pool = WarmPool(fakes.make, fakes.close, size=1, prestart=True)
    taken: list[int] = []
    taker = threading.Thread(target=lambda: taken.append(pool.take()))
    taker.start()
    time.sleep(0.1)
    assert taken == []  # waiting for the spare already starting, not starting a second simulator
    fakes.gate.set()
    taker.join(10)
    assert taken == [0] and pool.counts()["warm"] == 1
    pool.shutdown()


def test_a_failed_spare_start_lets_the_waiting_session_start_its_own() -> None:
    fakes = Fakes()
    fakes.gate.clear()
    failures = iter([True])

    def make() -> int:
        fakes.gate.wait(10)
        if next(failures, False):
            raise RuntimeError("no JVM")
        return fakes.make()

    pool = WarmPool(make, fakes.close, size=1, prestart=True)
    taken: list[int] = []
    taker = threading.Thread(target=lambda: taken.append(pool.take()))
    taker.start()
    time.sleep(0.1)
    fakes.gate.set()
    taker.join(10)
    assert taken == [0] and pool.counts()["cold"] == 1
    pool.shutdown()


def test_a_spare_answers_exactly_as_a_simulator_started_for_the_session(client: Client) -> None:
    """A spare must be as fresh as a new simulator: one that ran any task before lists a room's
    objects in another order (this test caught a warm-up run that did)."""
    from step_hrl_envserver.scienceworld_env import ScienceWorldBackend

    _, gold = client.call("GET", "/scienceworld/gold?task_name=find-living-thing&variation=1")
    body = {"task_name": "find-living-thing", "variation": 1}

    def play(backend: ScienceWorldBackend) -> list[dict[str, Any]]:
        state = backend.new_state()
        try:
            answers = [backend.reset(state, body)]
            answers += [backend.step(state, action, {}) for action in gold["actions"]]
            return answers
        finally:
            backend.close_state(state)

    fresh, warmed = ScienceWorldBackend(spares=0), ScienceWorldBackend(spares=1, prestart=True)
    try:
        assert wait_until(lambda: warmed.simulators.ready() == 1, 60)
        on_spare = play(warmed)
        assert warmed.simulators.counts()["warm"] == 1
        assert on_spare == play(fresh)
        assert on_spare[-1]["won"]
    finally:
        fresh.shutdown()
        warmed.shutdown()


def test_a_spare_stuck_starting_is_not_waited_for_past_the_bound(monkeypatch: Any) -> None:
    import step_hrl_envserver.warm_pool as warm_pool

    monkeypatch.setattr(warm_pool, "SPARE_WAIT_S", 0.2)
    stuck = threading.Event()
    made: list[str] = []

    def make() -> str:
        if not made:
            made.append("stuck")
            stuck.wait(10)  # the spare's start hangs
            return "stuck"
        made.append("own")
        return "own"

    pool = WarmPool(make, lambda sim: None, size=1, prestart=True)
    assert wait_until(lambda: made == ["stuck"], 10)
    assert pool.take() == "own" and pool.counts()["cold"] == 1
    stuck.set()
    pool.shutdown()
