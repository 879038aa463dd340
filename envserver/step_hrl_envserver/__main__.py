"""Entry point: ``python -m step_hrl_envserver --port 0`` (prints one JSON line once listening)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Callable, TypeVar

from .alfworld_env import AlfWorldBackend, default_data_dir
from .http_server import EnvService, serve
from .lifecycle import exit_with_parent, hard_exit_after
from .scienceworld_env import ScienceWorldBackend

REPO_ROOT = Path(__file__).resolve().parents[2]
TTL_ENV = "STEP_HRL_ENV_SESSION_TTL_S"
# Above the default LLM outage budget (30 min): a session idle through an outage is kept.
DEFAULT_TTL_S = 2 * 60 * 60
SPARES_ENV = "STEP_HRL_SCIENCEWORLD_SPARES"
PRESTART_ENV = "STEP_HRL_SCIENCEWORLD_PRESTART"
N = TypeVar("N", int, float)


def number_from_env(name: str, parse: Callable[[str], N], fallback: N, kind: str, example: str) -> N:
    """``parse`` of variable ``name``, or ``fallback`` when it is unset; exits naming it when it is not ``kind``."""
    raw = os.environ.get(name)
    if not raw:
        return fallback
    try:
        return parse(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not {kind}; set e.g. {name}={example}") from None


def default_spares() -> int:
    return number_from_env(SPARES_ENV, int, 1, "a whole number", "1 (0 = none)")


def default_ttl() -> float:
    return number_from_env(TTL_ENV, float, float(DEFAULT_TTL_S), "a number of seconds", "1800")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="step_hrl_envserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    parser.add_argument("--alfworld-data", type=Path, default=None, help="ALFWorld data folder (holds json_2.1.1/)")
    parser.add_argument(
        "--session-ttl-seconds",
        type=float,
        default=None,
        help=f"close sessions idle longer than this (default ${TTL_ENV} or {DEFAULT_TTL_S}; 0 = never)",
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="exit (closing every session and JVM) when stdin reaches EOF or the parent process is gone; "
        "for launchers that keep stdin as a pipe",
    )
    parser.add_argument(
        "--scienceworld-spares",
        type=int,
        default=None,
        help=f"ScienceWorld simulators kept started ahead of need, so a new session skips the JVM start "
        f"(default ${SPARES_ENV} or 1; 0 = none)",
    )
    parser.add_argument(
        "--prestart-scienceworld",
        action="store_true",
        default=os.environ.get(PRESTART_ENV) == "1",
        help=f"start the spares at once instead of at the first ScienceWorld session (or ${PRESTART_ENV}=1)",
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    ttl = args.session_ttl_seconds if args.session_ttl_seconds is not None else default_ttl()
    if ttl < 0:
        parser.error(f"--session-ttl-seconds must be >= 0 (0 = never expire), got {ttl}")

    spares = args.scienceworld_spares if args.scienceworld_spares is not None else default_spares()
    if spares < 0:
        parser.error(f"--scienceworld-spares must be >= 0 (0 = none), got {spares}")

    data_dir = args.alfworld_data or default_data_dir(REPO_ROOT)
    service = EnvService(ScienceWorldBackend(spares, args.prestart_scienceworld), AlfWorldBackend(data_dir))
    stop = threading.Event()

    def announce(port: int) -> None:
        # The TS launcher reads this line to learn the port.
        print(json.dumps({"event": "listening", "host": args.host, "port": port}), flush=True)

    httpd = serve(service, args.host, args.port, announce)
    if ttl > 0:
        service.start_reaper(ttl)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.exit_with_parent:
        exit_with_parent(stop)
    stop.wait()
    hard_exit_after(20.0)  # a JVM that does not answer its shutdown must not keep us alive
    httpd.shutdown()
    service.shutdown()  # ends every simulator JVM this server started
    return 0


if __name__ == "__main__":
    sys.exit(main())
