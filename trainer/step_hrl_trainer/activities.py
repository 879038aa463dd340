"""The training activities the TypeScript training workflow (src/workflows/training.ts) calls.

Each wraps one call of ``run.py`` (prepare_run / train_chunk / finalize). The blocking training runs
in a thread, while the activity heartbeats the latest progress every few seconds (so a long model
load or a slow step never looks like a dead worker, and a worker killed with ``kill -9`` is noticed
within the heartbeat timeout). A cancelled chunk is abandoned at its next progress report: the run
dir keeps the last complete checkpoint, so at most the chunk in flight is lost. One run dir is
trained by one process at a time (an advisory lock; the OS drops it when a process dies).

Names and shapes match ``TrainingActivityTypes`` in src/episode/training-records.ts (camelCase).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import os
import threading
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Callable, Iterator, Optional

from temporalio import activity
from temporalio.exceptions import ApplicationError

# Error types the workflow treats as final (a retry cannot fix them); also listed there.
BAD_CONFIG = "BadTrainingConfig"
RUN_DIR_BUSY = "RunDirBusy"


class ChunkAbandoned(Exception):
    """Raised inside the training thread at its next progress report once the activity was cancelled."""


def _camel(progress: dict) -> dict:
    """Snake-case keys of the trainer's results as the TypeScript records spell them."""
    out = {}
    for key, value in progress.items():
        head, *rest = key.split("_")
        out[head + "".join(w[:1].upper() + w[1:] for w in rest)] = value
    return out


@contextmanager
def _run_dir_lock(run_dir: str) -> Iterator[None]:
    os.makedirs(run_dir, exist_ok=True)
    fd = os.open(os.path.join(run_dir, ".worker.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another attempt (a worker that lost its heartbeat but still runs) trains this dir: retry later.
            raise ApplicationError(
                f"run dir {run_dir} is being trained by another process; this attempt is retried when it stops",
                type=RUN_DIR_BUSY,
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock


class TrainingActivities:
    """The activities, bound to a trainer module (``step_hrl_trainer.run``, or a fake in tests)."""

    def __init__(self, trainer: Optional[ModuleType] = None, beat_seconds: float = 2.0) -> None:
        self._trainer = trainer
        self._beat_seconds = beat_seconds
        # One training thread per activity slot; the worker runs one activity at a time by default.
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="train")

    @property
    def trainer(self) -> Any:
        if self._trainer is None:
            from . import run  # torch loads here, not when the worker starts polling

            self._trainer = run
        return self._trainer

    def all(self) -> list[Callable[..., Any]]:
        """The activity callables to register on a worker."""
        return [self.prepare_run, self.train_chunk, self.finalize_stage]

    async def _in_thread(self, fn: Callable[[Callable[[dict], None]], Any], first: dict) -> Any:
        """Runs ``fn(report)`` in a thread, heartbeating the latest report; abandons it on cancel."""
        latest = {"progress": first}
        stop = threading.Event()

        def report(progress: dict) -> None:
            if stop.is_set():
                raise ChunkAbandoned("the activity was cancelled; the last checkpoint stays")
            latest["progress"] = _camel(progress)

        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, fn, report)
        try:
            while True:
                activity.heartbeat(latest["progress"])
                done, _ = await asyncio.wait({future}, timeout=self._beat_seconds)
                if done:
                    return future.result()
        except asyncio.CancelledError:
            stop.set()
            # Let the thread reach its next report and stop, so a retry does not find the dir locked.
            await asyncio.wait({future}, timeout=60)
            raise

    @activity.defn(name="prepareRun")
    async def prepare_run(self, input: dict) -> dict:
        """Checks the frozen config's data and writes the run dir's config; idempotent."""
        run_dir, config = input["runDir"], input["config"]
        try:
            with _run_dir_lock(run_dir):
                out = await self._in_thread(lambda _report: self.trainer.prepare_run(run_dir, config), {})
        except (ValueError, FileNotFoundError, KeyError, TypeError) as err:
            raise ApplicationError(f"{type(err).__name__}: {err}", type=BAD_CONFIG, non_retryable=True) from err
        return _camel(out)

    @activity.defn(name="trainChunk")
    async def train_chunk(self, input: dict) -> dict:
        """Trains at most ``maxSteps`` optimizer steps of ``stage`` from its last checkpoint."""
        run_dir, stage, max_steps = input["runDir"], input["stage"], int(input["maxSteps"])
        info = activity.info()
        if info.attempt > 1:
            last = info.heartbeat_details[0] if info.heartbeat_details else None
            activity.logger.warning(
                "chunk of %s retried (attempt %d; last progress %s): resuming from the last checkpoint",
                stage,
                info.attempt,
                last,
            )
        with _run_dir_lock(run_dir):
            out = await self._in_thread(
                lambda report: self.trainer.train_chunk(run_dir, stage, max_steps, heartbeat=report),
                {"stage": stage, "phase": "loading"},
            )
        return _camel(out)

    @activity.defn(name="finalizeStage")
    async def finalize_stage(self, input: dict) -> dict:
        """Exports the stage's dev-selected checkpoint (adapter, critics, curves) and its hashes."""
        run_dir, stage = input["runDir"], input["stage"]
        with _run_dir_lock(run_dir):
            out = await self._in_thread(lambda _report: self.trainer.finalize(run_dir, stage), {"stage": stage})
        return _camel(out)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["TrainingActivities", "ChunkAbandoned", "BAD_CONFIG", "RUN_DIR_BUSY"]
