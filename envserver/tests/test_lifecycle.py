"""Nothing leaks: idle sessions expire after the TTL (JVM released), and a server started with
``--exit-with-parent`` exits, ending its JVMs, when its parent's end of stdin closes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from step_hrl_envserver.alfworld_env import AlfWorldBackend
from step_hrl_envserver.errors import SessionLost
from step_hrl_envserver.http_server import EnvService
from step_hrl_envserver.scienceworld_env import ScienceWorldBackend

from .conftest import GAME, Client, wait_until

ENVSERVER_DIR = Path(__file__).resolve().parents[1]


def test_idle_sessions_expire_and_release_their_jvm() -> None:
    service = EnvService(ScienceWorldBackend(), AlfWorldBackend(None))
    try:
        sid = service.create("scienceworld", {})["id"]
        jvm = service.registries["scienceworld"].get(sid).state.env._proc
        busy = service.create("alfworld", {})["id"]
        assert jvm.poll() is None
        service.start_reaper(0.3)
        # A session in use is not reaped, however long its call runs.
        session = service.registries["alfworld"].get(busy)
        with session.lock:
            assert wait_until(lambda: jvm.poll() is not None, 10)
            time.sleep(0.5)
        with pytest.raises(SessionLost, match="idle longer than its session TTL"):
            service.step("scienceworld", {"id": sid, "action": "look around"})
        stats = service.stats_snapshot()
        assert stats["envs"]["scienceworld"]["sessions_expired"] == 1
        assert stats["envs"]["scienceworld"]["sessions_open"] == 0
    finally:
        service.shutdown()


def children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                out.append(int(name))
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_exit_with_parent_ends_server_and_jvms_when_stdin_closes() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "step_hrl_envserver", "--port", "0", "--exit-with-parent"],
        cwd=ENVSERVER_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        port = json.loads(proc.stdout.readline())["port"]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/scienceworld/create", data=b"{}", method="POST")
        with urllib.request.urlopen(req, timeout=120) as res:
            assert "id" in json.loads(res.read())
        jvms = children(proc.pid)
        assert jvms, "the session's JVM should be a child of the server"
        assert proc.stdin is not None
        proc.stdin.close()  # what the kernel does when the parent is killed with -9
        proc.wait(timeout=20)
        assert wait_until(lambda: not any(alive(p) for p in jvms), 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_ttl_flag_and_variable_are_checked(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from step_hrl_envserver.__main__ import DEFAULT_TTL_S, default_ttl, main

    with pytest.raises(SystemExit):
        main(["--session-ttl-seconds", "-1"])
    assert "--session-ttl-seconds must be >= 0" in capsys.readouterr().err
    monkeypatch.delenv("STEP_HRL_ENV_SESSION_TTL_S", raising=False)
    assert default_ttl() == DEFAULT_TTL_S == 7200
    monkeypatch.setenv("STEP_HRL_ENV_SESSION_TTL_S", "90")
    assert default_ttl() == 90
    monkeypatch.setenv("STEP_HRL_ENV_SESSION_TTL_S", "half an hour")
    with pytest.raises(SystemExit, match="STEP_HRL_ENV_SESSION_TTL_S='half an hour' is not a number"):
        default_ttl()


def test_release_closes_only_the_gone_owners_sessions(client: Client) -> None:
    """`POST /sessions/release` frees what a killed worker left on a shared server, nothing else."""
    stepped = client.call("POST", "/alfworld/create", {"key": "ep-a", "owner": "gone-1"})[1]["id"]
    assert client.call("POST", "/alfworld/reset", {"id": stepped, "game_file": GAME})[0] == 200
    assert client.call("POST", "/alfworld/step", {"id": stepped, "action": "look"})[0] == 200
    unkeyed = client.call("POST", "/alfworld/create", {"owner": "gone-1"})[1]["id"]
    untouched = client.call("POST", "/alfworld/create", {"key": "ep-b", "owner": "gone-1"})[1]["id"]
    other = client.call("POST", "/alfworld/create", {"key": "ep-c", "owner": "alive-1"})[1]["id"]
    anonymous = client.call("POST", "/alfworld/create", {})[1]["id"]
    before = client.call("GET", "/stats")[1]

    status, answer = client.call("POST", "/sessions/release", {"owner": "gone-1"})
    assert (status, answer) == (200, {"released": 2})
    after = client.call("GET", "/stats")[1]
    assert after["sessions_released"] - before["sessions_released"] == 2
    assert after["sessions_open"] == before["sessions_open"] - 2
    for sid in (stepped, unkeyed):  # gone: a late request of the dead owner would be told so
        assert client.call("POST", "/alfworld/close", {"id": sid})[0] == 404
    # The untouched keyed session stays for its episode's retried create, which reuses it.
    listed = {s["id"]: s for s in client.call("GET", "/sessions")[1]}
    assert listed[untouched]["key"] == "ep-b" and listed[untouched]["steps"] == 0
    assert client.call("POST", "/alfworld/create", {"key": "ep-b", "owner": "alive-2"})[1] == {
        "id": untouched,
        "reused": True,
    }
    for sid in (untouched, other, anonymous):
        assert client.call("POST", "/alfworld/close", {"id": sid}) == (200, True)
    # Again: nothing left to release. Without an owner: a clear error.
    assert client.call("POST", "/sessions/release", {"owner": "gone-1"}) == (200, {"released": 0})
    status, error = client.call("POST", "/sessions/release", {})
    assert status == 400 and "owner" in json.dumps(error)
    status, error = client.call("POST", "/alfworld/create", {"owner": 7})
    assert status == 400 and "owner" in json.dumps(error)


def test_a_create_finishing_after_its_owner_was_released_is_refused_and_freed() -> None:
    """A killed worker's create may still be starting its simulator when the release comes: it must
    not register a session afterwards, which nothing would ever close."""
    service = EnvService(ScienceWorldBackend(), AlfWorldBackend(None))
    backend = service.backends["alfworld"]
    started, go = threading.Event(), threading.Event()
    freed: list[object] = []
    real_new_state, real_close_state = backend.new_state, backend.close_state

    def slow_new_state() -> object:
        started.set()
        go.wait(10)
        return real_new_state()

    def close_state(state: object) -> None:
        freed.append(state)
        real_close_state(state)

    backend.new_state, backend.close_state = slow_new_state, close_state
    try:
        outcome: dict[str, object] = {}

        def create() -> None:
            try:
                outcome["answer"] = service.create("alfworld", {"key": "ep-late", "owner": "dead-1"})
            except SessionLost as err:
                outcome["error"] = str(err)

        late = threading.Thread(target=create)
        late.start()
        assert started.wait(10)
        backend.new_state = real_new_state  # only the late create is slow
        assert service.release({"owner": "dead-1"}) == {"released": 0}  # nothing registered yet
        taken = service.create("alfworld", {"key": "ep-late", "owner": "alive-1"})["id"]  # its episode moved on
        go.set()
        late.join(10)
        assert "released as gone" in str(outcome.get("error"))
        assert len(freed) == 1  # its simulator state was closed, not leaked
        assert [(s["id"], s["owner"]) for s in service.open_sessions()] == [(taken, "alive-1")]
        # A late create whose key nobody took is kept: the episode's retried create will reuse it.
        go.clear()
        started.clear()
        backend.new_state = slow_new_state
        late = threading.Thread(target=lambda: outcome.update(kept=service.create("alfworld", {"key": "ep-2", "owner": "dead-1"})))
        late.start()
        assert started.wait(10)
        backend.new_state = real_new_state
        go.set()
        late.join(10)
        kept = outcome["kept"]["id"]  # type: ignore[index]
        assert service.create("alfworld", {"key": "ep-2", "owner": "alive-1"}) == {"id": kept, "reused": True}
    finally:
        service.shutdown()
