"""``python -m step_hrl_trainer.worker --task-queue Q``: the Temporal worker of the training activities.

It polls the training task queue (``step-hrl train`` starts one per run, on ``train-<id>-py``; a GPU
host runs one on a shared queue with ``step-hrl train worker``) and runs ``prepareRun``,
``trainChunk`` and ``finalizeStage`` (activities.py), one at a time by default, and ``serveCheckpoint``
(serve_activity.py: the final checkpoint behind an OpenAI-compatible server while the run's eval stage runs). Payloads are encrypted
with the same keys and codec as the TypeScript side (codec.py). SIGINT/SIGTERM stop polling and give
the chunk in flight a grace period; past it the chunk is abandoned and the run resumes from its last
checkpoint. The first line on stdout (``training worker polling ...``) says it is ready.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import timedelta
from typing import Optional

from temporalio.client import Client
from temporalio.worker import Worker

from .activities import TrainingActivities
from .codec import CodecKeyConfigError, data_converter_from_env
from .connect import connect_options
from .serve_activity import ServeActivities


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m step_hrl_trainer.worker", description=__doc__.split("\n")[0])
    parser.add_argument("--task-queue", required=True, help="training task queue to poll")
    parser.add_argument(
        "--address",
        help="Temporal frontend host:port (default: envconfig's TEMPORAL_ADDRESS or profile, else localhost:7233)",
    )
    parser.add_argument(
        "--namespace",
        help="namespace (default: envconfig's TEMPORAL_NAMESPACE or profile, else default)",
    )
    parser.add_argument("--max-concurrent", type=int, default=1, help="activities at once (default 1: one run)")
    parser.add_argument(
        "--grace-seconds", type=float, default=10.0, help="on SIGTERM, how long the chunk in flight may finish"
    )
    return parser.parse_args(argv)


async def run_worker(args: argparse.Namespace) -> None:
    """Connects, polls until SIGINT/SIGTERM, then shuts down gracefully."""
    # TLS, API key and profile from envconfig, as the TypeScript side reads them (connect.py).
    options = connect_options(args.address, args.namespace)
    args.address, args.namespace = options["target_host"], options["namespace"]
    client = await Client.connect(**options, data_converter=data_converter_from_env())
    activities = TrainingActivities()
    serving = ServeActivities()
    worker = Worker(
        client,
        task_queue=args.task_queue,
        activities=[*activities.all(), *serving.all()],
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
    except OSError as err:  # a TLS file or profile file envconfig names is missing or unreadable
        print(f"Error: Temporal connection settings (TEMPORAL_TLS_*, profile file): {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        # Connection failures surface as RuntimeError from the core SDK.
        print(f"Error: cannot reach Temporal at {args.address} ({args.namespace}): {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
