"""`python -m step_hrl_trainer <command>`: resolve-config FILE | prepare RUN_DIR CONFIG | train RUN_DIR STAGE [--max-steps N] | finalize RUN_DIR STAGE."""

from __future__ import annotations

import argparse
import json
import sys

from .config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    """Runs one command and prints its result as JSON on stdout; a bad input exits 2 with the reason."""
    parser = argparse.ArgumentParser(prog="python -m step_hrl_trainer")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("resolve-config", help="print the fully resolved config as JSON")
    p.add_argument("file")
    p = sub.add_parser("prepare", help="check the datasets and write RUN_DIR/config.json")
    p.add_argument("run_dir")
    p.add_argument("config")
    p = sub.add_parser("train", help="train one chunk of a stage, resuming from its last checkpoint")
    p.add_argument("run_dir")
    p.add_argument("stage", choices=["bc", "rl"])
    p.add_argument("--max-steps", type=int, default=10**9)
    p = sub.add_parser("finalize", help="export the stage's dev-selected checkpoint to RUN_DIR/STAGE/final")
    p.add_argument("run_dir")
    p.add_argument("stage", choices=["bc", "rl"])
    args = parser.parse_args(argv)
    try:
        if args.command == "resolve-config":
            out = load_config(args.file)
        elif args.command == "prepare":
            from .run import prepare_run

            out = prepare_run(args.run_dir, load_config(args.config))
        elif args.command == "train":
            from .run import train_chunk

            def progress(p: dict) -> None:  # one JSON line per heartbeat on stderr; the result goes to stdout
                print(json.dumps(p, sort_keys=True), file=sys.stderr, flush=True)

            out = train_chunk(args.run_dir, args.stage, args.max_steps, heartbeat=progress)
        else:
            from .run import finalize

            out = finalize(args.run_dir, args.stage)
    except (ConfigError, FileNotFoundError) as e:
        print(f"step_hrl_trainer: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
