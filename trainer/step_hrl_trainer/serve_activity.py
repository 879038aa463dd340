"""``serveCheckpoint``: the trained checkpoint behind an OpenAI-compatible server for the run's eval stage.

A long-running activity on the training task queue (src/workflows/training.ts starts it after the last
stage's ``finalizeStage``). It starts ``python -m step_hrl_trainer.serve`` (serve.py) on a free port as a
child process, waits for its ``/health``, then tells the workflow the base URL with the
``checkpointServed`` signal (the run's eval stage waits for it; a retried attempt on a new port signals
again). It heartbeats while the server lives and fails when the server dies; on cancel (the eval
ended) it stops the server and writes ``<run dir>/serve/last.json`` (base URL, requests served, exit
code). The server gets SIGTERM when the worker process dies, so a killed worker leaves none behind.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any, Awaitable, Callable, Optional

from temporalio import activity
from temporalio.exceptions import ApplicationError

#: The signal the served base URL reaches the training workflow by (src/episode/training-records.ts).
SERVED_SIGNAL = "checkpointServed"

Signaller = Callable[[str, str, dict], Awaitable[None]]


def free_port(host: str) -> int:
    """A port the OS says is free on ``host`` now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the server's process before exec: SIGTERM when the worker that started it dies (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _health(root: str, timeout: float = 2.0) -> Optional[dict]:
    try:
        with urllib.request.urlopen(f"{root}/health", timeout=timeout) as res:
            return json.loads(res.read())
    except (OSError, ValueError):
        return None


def _tail(path: str, lines: int = 5) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return " | ".join(f.read().strip().splitlines()[-lines:])
    except OSError:
        return ""


async def _signal_workflow(workflow_id: str, run_id: str, payload: dict) -> None:
    await activity.client().get_workflow_handle(workflow_id, run_id=run_id).signal(SERVED_SIGNAL, payload)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ServeActivities:
    """The serve activity; ``signal`` and ``python`` are replaceable in tests."""

    def __init__(
        self, signal: Optional[Signaller] = None, beat_seconds: float = 2.0, python: str = sys.executable
    ) -> None:
        self._signal = signal or _signal_workflow
        self._beat_seconds = beat_seconds
        self._python = python

    def all(self) -> list[Callable[..., Any]]:
        """The activity callables to register on a worker."""
        return [self.serve_checkpoint]

    @activity.defn(name="serveCheckpoint")
    async def serve_checkpoint(self, input: dict) -> None:
        """Serves ``checkpoint`` (or a ``base`` model spec) until cancelled; see the module docstring."""
        info = activity.info()
        host = input.get("host") or "127.0.0.1"
        model = input["modelName"]
        out_dir = os.path.join(input["runDir"], "serve")
        os.makedirs(out_dir, exist_ok=True)
        log_path = os.path.join(out_dir, f"server-attempt-{info.attempt}.log")
        port = free_port(host)
        args = [self._python, "-m", "step_hrl_trainer.serve", "--host", host, "--port", str(port)]
        args += ["--model-name", model, "--log-level", "warning"]
        if input.get("checkpoint"):
            args += ["--checkpoint", input["checkpoint"]]
        if input.get("base"):
            args += ["--base", json.dumps(input["base"])]
        if input.get("threads"):
            args += ["--threads", str(input["threads"])]
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
        advertised = input.get("advertiseHost") or (socket.gethostname() if host in ("0.0.0.0", "::") else host)
        root = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}"
        base_url = f"http://{advertised}:{port}/v1"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent
            )
        last: dict = {}
        try:
            deadline = time.monotonic() + float(input.get("loadTimeoutSeconds") or 900)
            while True:
                activity.heartbeat({"phase": "loading", "baseURL": base_url})
                if proc.poll() is not None:
                    raise ApplicationError(
                        f"the checkpoint server exited {proc.returncode} while loading: {_tail(log_path)}"
                    )
                health = await asyncio.to_thread(_health, root)
                if health:
                    last = health
                    break
                if time.monotonic() > deadline:
                    raise ApplicationError(
                        f"the checkpoint server did not answer {root}/health within {input.get('loadTimeoutSeconds')} s"
                        f" (raise evaluate.load_timeout_seconds): {_tail(log_path)}"
                    )
                await asyncio.sleep(min(self._beat_seconds, 0.5))
            await self._signal(
                info.workflow_id, info.workflow_run_id, {"baseURL": base_url, "model": model, "attempt": info.attempt}
            )
            activity.logger.info("serving %s at %s", input.get("checkpoint") or "the base model", base_url)
            while True:
                activity.heartbeat({"phase": "serving", "baseURL": base_url, "requests": last.get("requests")})
                await asyncio.sleep(self._beat_seconds)
                if proc.poll() is not None:
                    raise ApplicationError(
                        f"the checkpoint server at {base_url} exited {proc.returncode}: {_tail(log_path)}"
                    )
                last = await asyncio.to_thread(_health, root) or last
        finally:
            last = _health(root) or last
            _stop(proc)
            summary = {"baseURL": base_url, "model": model, "pid": proc.pid, "exitCode": proc.returncode, **last}
            with open(os.path.join(out_dir, "last.json"), "w", encoding="utf-8") as f:
                json.dump(summary, f, indent=2, sort_keys=True)


__all__ = ["ServeActivities", "SERVED_SIGNAL", "free_port"]
