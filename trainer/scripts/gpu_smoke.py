"""GPU smoke test (issue 19 item 8): one BC step and one RL step of the real recipe on a CUDA machine, bf16 and
gradient checkpointing, printing samples/s and peak memory as JSON.

    .tools/trainer-venv/bin/python trainer/scripts/gpu_smoke.py --base-kind hf --base <model folder, e.g. Mistral-7B-Instruct-v0.2> \\
        --dataset datasets/alfworld-sample
    # no GPU? `--device cpu --dtype float32 --no-gradient-checkpointing --base-kind tiny` checks the script itself.

The steps run through the trainer's own stage code (`step_hrl_trainer.stage.Stage`), so what it measures is
what a training chunk does. The RL step starts from a fresh adapter with no critic warm-up, so it runs the
critic update and the actor update."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

from step_hrl_trainer.config import resolve_config  # noqa: E402
from step_hrl_trainer.run import prepare_run  # noqa: E402
from step_hrl_trainer.stage import Stage  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default=".tools/models/smollm2-135m-instruct-q4_1.gguf", help="model folder or GGUF file")
    ap.add_argument("--base-kind", choices=["hf", "gguf", "tiny"], default="gguf")
    ap.add_argument("--dataset", required=True, help="folder `step-hrl label build --out` wrote")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"])
    ap.add_argument("--no-gradient-checkpointing", action="store_true")
    ap.add_argument("--global-batch", type=int, default=16, help="rows per role per step")
    ap.add_argument("--micro-batch", type=int, default=4)
    ap.add_argument("--max-seq-len", type=int, default=1024)
    args = ap.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu_smoke: no CUDA device here; run it on a GPU machine (or pass --device cpu to check the script)",
              file=sys.stderr)
        return 2
    base = {"kind": "tiny"} if args.base_kind == "tiny" else {"kind": args.base_kind, "path": args.base}
    batch = {"global_batch": args.global_batch, "micro_batch": args.micro_batch, "max_steps": 1}
    raw = {
        "base": base,
        "data": {"dataset": args.dataset, "max_rows": args.global_batch, "max_seq_len": args.max_seq_len},
        "device": args.device,
        "dtype": args.dtype,
        "gradient_checkpointing": not args.no_gradient_checkpointing,
        "bc": batch,
        "rl": {**batch, "init": "scratch", "critic_warmup_steps": 0},
        "selection": {"dev_max_rows": 1},
    }
    report = {"device": torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device,
              "dtype": args.dtype, "base": base}
    with tempfile.TemporaryDirectory() as run:
        for stage in ("bc", "rl"):
            cfg = resolve_config({**raw, "stages": [stage]})
            prepare_run(os.path.join(run, stage), cfg)
            st = Stage(os.path.join(run, stage), cfg, stage)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            t0, c0 = time.perf_counter(), time.process_time()
            metrics = st.bc_step() if stage == "bc" else st.rl_step()
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            report[stage] = {
                "seconds": round(dt, 3),
                "samples": st.samples,
                "samples_per_s": round(st.samples / dt, 2),
                "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)
                if args.device.startswith("cuda") else None,
                "cpu_seconds": round(time.process_time() - c0, 3),  # this process's CPU time (load-independent)
                "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
                "metrics": metrics,
            }
            del st
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
