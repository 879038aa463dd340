"""``python -m step_hrl_trainer.worker --task-queue Q``: the Temporal worker of the training activities.

It polls the training task queue (``step-hrl train`` starts one per run, on ``train-<id>-py``; a GPU
host runs one on a shared queue with ``step-hrl train worker``) and runs ``prepareRun``,
``trainChunk`` and ``finalizeStage`` (activities.py), one at a time by default. Payloads are encrypted
with the same keys and codec as the TypeScript side (codec.py). SIGINT/SIGTERM stop polling and give
the chunk in flight a grace period; past it the chunk is abandoned and the run resumes from its last
checkpoint. The first line on stdout (``training worker polling ...``) says it is ready.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from datetime import timedelta
from typing import Optional

from temporalio.client import Client
from temporalio.worker import Worker

from .activities import TrainingActivities
from .codec import CodecKeyConfigError, data_converter_from_env


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m step_hrl_trainer.worker", description=__doc__.split("\n")[0])
    parser.add_argument("--task-queue", required=True, help="training task queue to poll")
    parser.add_argument(
        "--address",
        default=os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"),
        help="Temporal frontend host:port (default TEMPORAL_ADDRESS or localhost:7233)",
    )
    parser.add_argument(
        "--namespace",
        default=os.environ.get("TEMPORAL_NAMESPACE", "default"),
        help="namespace (default TEMPORAL_NAMESPACE or default)",
    )
    parser.add_argument("--max-concurrent", type=int, default=1, help="activities at once (default 1: one run)")
    parser.add_argument(
        "--grace-seconds", type=float, default=10.0, help="on SIGTERM, how long the chunk in flight may finish"
    )
    return parser.parse_args(argv)


async def run_worker(args: argparse.Namespace) -> None:
    """Connects, polls until SIGINT/SIGTERM, then shuts down gracefully."""
    api_key = os.environ.get("TEMPORAL_API_KEY") or None
    client = await Client.connect(
        args.address,
        namespace=args.namespace,
        data_converter=data_converter_from_env(),
        api_key=api_key,
        tls=bool(api_key),
    )
    activities = TrainingActivities()
    worker = Worker(
        client,
        task_queue=args.task_queue,
        activities=activities.all(),
        max_concurrent_activities=max(1, args.max_concurrent),
        graceful_shutdown_timeout=timedelta(seconds=args.grace_seconds),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print(f"training worker polling {args.task_queue} on {args.address} ({args.namespace})", flush=True)
        await stop.wait()
        print("training worker stopping: the chunk in flight gets a grace period, then resumes elsewhere", flush=True)
    activities.close()


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(run_worker(args))
    except CodecKeyConfigError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        # Connection failures surface as RuntimeError from the core SDK.
        print(f"Error: cannot reach Temporal at {args.address} ({args.namespace}): {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
