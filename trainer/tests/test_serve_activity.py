"""``serveCheckpoint`` (serve_activity.py): signals the base URL of a live server, which answers
completions; on cancel it stops the server (no process left) and records what it served."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request

import pytest
from temporalio.testing import ActivityEnvironment

from step_hrl_trainer.serve_activity import ServeActivities

TINY = {"kind": "tiny", "vocab_size": 512, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
        "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 512, "seed": 0}


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as res:
        return json.loads(res.read())


def test_serve_checkpoint_signals_a_live_url_and_stops_its_server_on_cancel(tmp_path) -> None:
    signals: list[tuple[str, str, dict]] = []

    async def main() -> dict:
        served = asyncio.Event()

        async def signal(workflow_id: str, run_id: str, payload: dict) -> None:
            signals.append((workflow_id, run_id, payload))
            served.set()

        acts = ServeActivities(signal=signal, beat_seconds=0.2)
        env = ActivityEnvironment()
        beats: list = []
        env.on_heartbeat = lambda *d: beats.append(d[0] if d else None)
        input = {"runDir": str(tmp_path), "modelName": "tiny-policy", "base": TINY, "threads": 1}
        task = asyncio.ensure_future(env.run(acts.serve_checkpoint, input))
        waiter = asyncio.ensure_future(served.wait())
        await asyncio.wait({task, waiter}, timeout=180, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the activity failed: show why
        assert served.is_set(), "no checkpointServed signal within 180 s"
        url = signals[0][2]["baseURL"]
        out = await asyncio.to_thread(
            _post, f"{url}/completions", {"model": "tiny-policy", "prompt": "go to", "max_tokens": 2}
        )
        assert out["choices"][0]["text"] is not None
        await asyncio.sleep(0.5)  # a serving heartbeat
        env.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return {"url": url, "beats": beats}

    got = asyncio.run(main())
    assert signals[0][2]["model"] == "tiny-policy"
    assert got["url"].startswith("http://127.0.0.1:") and got["url"].endswith("/v1")
    assert any(isinstance(b, dict) and b.get("phase") == "serving" for b in got["beats"])
    last = json.loads((tmp_path / "serve" / "last.json").read_text())
    assert last["baseURL"] == got["url"]
    assert last["requests"] == 1
    assert last["exitCode"] is not None  # the server ended
    with pytest.raises(ProcessLookupError):
        os.kill(last["pid"], 0)


def test_serve_checkpoint_fails_naming_the_reason_when_the_server_cannot_start(tmp_path) -> None:
    async def never(*_: object) -> None:
        raise AssertionError("signalled without a server")

    acts = ServeActivities(signal=never, beat_seconds=0.2)
    input = {"runDir": str(tmp_path), "modelName": "m", "checkpoint": str(tmp_path / "no-such-final")}
    with pytest.raises(Exception, match="exited 2 while loading"):
        asyncio.run(ActivityEnvironment().run(acts.serve_checkpoint, input))
