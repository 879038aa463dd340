"""Entry point: ``python -m step_hrl_envserver --port 0`` (prints one JSON line once listening)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from .alfworld_env import AlfWorldBackend, default_data_dir
from .http_server import EnvService, serve
from .scienceworld_env import ScienceWorldBackend

REPO_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="step_hrl_envserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    parser.add_argument("--alfworld-data", type=Path, default=None, help="ALFWorld data folder (holds json_2.1.1/)")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)

    data_dir = args.alfworld_data or default_data_dir(REPO_ROOT)
    service = EnvService(ScienceWorldBackend(), AlfWorldBackend(data_dir))
    stop = threading.Event()

    def announce(port: int) -> None:
        # The TS launcher reads this line to learn the port.
        print(json.dumps({"event": "listening", "host": args.host, "port": port}), flush=True)

    httpd = serve(service, args.host, args.port, announce)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    httpd.shutdown()
    service.shutdown()  # ends every simulator JVM this server started
    return 0


if __name__ == "__main__":
    sys.exit(main())
