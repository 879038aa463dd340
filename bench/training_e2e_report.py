"""Writes bench/results/training.{md,json} from the work folder of bench/training-e2e.sh.

Reads the phase times and peak memory (times.env), the dataset manifest, the run's metrics.jsonl per stage,
`step-hrl train --json`'s result, each server's /health counters and each eval's results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

ROLES = ("high", "low", "progress")


def read_times(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def last_json_line(path: Path) -> dict | None:
    if not path.is_file():
        return None
    for line in reversed(path.read_text().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def stage_summary(lines: list[dict], batch: int) -> dict[str, Any]:
    """First and last train metrics, rows trained (batch x the roles each step's losses name) and dev lines."""
    train = [m for m in lines if m.get("kind") == "train"]
    dev = [m for m in lines if m.get("kind") == "dev"]
    rows = 0
    for m in train:
        rows += batch * sum(1 for r in ROLES if any(k.endswith(f"_{r}") for k in m))
    numeric = lambda m: {k: round(v, 4) for k, v in m.items() if isinstance(v, float) and k != "lr"}  # noqa: E731
    return {
        "steps": len(train),
        "rows": rows,
        "first": numeric(train[0]) if train else {},
        "last": numeric(train[-1]) if train else {},
        "dev": [{"step": m.get("step"), **numeric(m)} for m in dev],
    }


def eval_summary(work: Path, name: str) -> dict[str, Any] | None:
    path = work / f"eval-{name}" / "results.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    mean = data["table"]["mean"]
    health_path = work / f"serve-{name}.health.json"
    health = json.loads(health_path.read_text()) if health_path.is_file() else {}
    return {
        "eval_id": data["results"].get("evalId"),
        "episodes": mean["episodes"],
        "won": mean["won"],
        "success_rate": mean["successRate"],
        "mean_steps": mean["meanSteps"],
        "errored": mean["errored"],
        "failed": mean["failed"],
        "tokens_per_step": round(mean["tokensPerStep"]["total"], 1),
        "server": {
            k: health.get(k)
            for k in ("model", "adapter", "requests", "prompt_tokens", "completion_tokens", "generate_seconds")
        },
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True, help="path without extension")
    p.add_argument("--command", required=True)
    p.add_argument("--sizes", required=True)
    args = p.parse_args()
    work = Path(args.work)
    sizes = dict(kv.split("=", 1) for kv in args.sizes.split())
    batch = int(sizes["batch"])
    times = read_times(work / "times.env")
    manifest = json.loads((work / "datasets" / "paper-raw" / "manifest.json").read_text())
    split_rows = {f["name"].split(".prompt.jsonl")[0]: f["rows"] for f in manifest["files"]
                  if f["name"].endswith(".prompt.jsonl")}
    stages = {s: stage_summary(read_jsonl(work / "run" / s / "metrics.jsonl"), batch) for s in ("bc", "rl")}
    train_rows = sum(s["rows"] for s in stages.values())
    train_seconds = times.get("train_seconds", 0.0)
    result = last_json_line(work / "logs" / "train.log") or {}
    finals = {s: {"selected_step": f.get("selectedStep"), "dev": f.get("dev"), "sha256": f.get("sha256")}
              for s, f in (result.get("finals") or {}).items()}
    evals = {name: eval_summary(work, name) for name in ("before", "after")}
    report = {
        "command": args.command,
        "sizes": sizes,
        "host": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(), "python": platform.python_version()},
        "phases": times,
        "datasets": {"trajectories": manifest["trajectories"], "dropped": manifest["dropped"], "rows": split_rows},
        "training": {
            "status": result.get("status"),
            "stages": stages,
            "finals": finals,
            "rows_trained": train_rows,
            "samples_per_s": round(train_rows / train_seconds, 3) if train_seconds else None,
            "peak_rss_mb": round(times.get("train_peak_rss_kb", 0) / 1024),
        },
        "eval": evals,
    }
    Path(f"{args.out}.json").write_text(json.dumps(report, indent=2) + "\n")
    Path(f"{args.out}.md").write_text(render(report))


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def render(r: dict[str, Any]) -> str:
    t, s, ph = r["training"], r["sizes"], r["phases"]
    lines = [
        "# Training end to end on CPU: label -> BC -> offline RL -> serve -> eval (issue 19)",
        "",
        f"Command: `{r['command']}` (sizes: {', '.join(f'{k} {v}' for k, v in s.items())}).",
        "",
        "Base model SmolLM2-135M-Instruct (the project's GGUF, dequantized to float32), LoRA r 16 on q/k/v/o, CPU, "
        f"{s['threads']} torch thread(s); host: {r['host']['cpus']} cores shared with other jobs (load average "
        f"{r['host']['load_average_at_end'][0]:.1f} at the end), so every time here is an upper bound.",
        "",
        "## Phases",
        "",
        "| phase | wall s | peak RSS MB |",
        "| --- | --- | --- |",
    ]
    for name in ("label", "train", "eval_before", "eval_after"):
        if f"{name}_seconds" in ph:
            rss = ph.get(f"{name}_peak_rss_kb")
            lines.append(f"| {name} | {ph[f'{name}_seconds']:.0f} | {rss / 1024:.0f} |" if rss else f"| {name} | - | - |")
    for name in ("before", "after"):
        if f"serve_{name}_load_seconds" in ph:
            lines.append(f"| serve {name} (load to first /health) | {ph[f'serve_{name}_load_seconds']:.0f} | - |")
    d = r["datasets"]
    lines += [
        "",
        "## Datasets",
        "",
        f"{d['trajectories']} ALFWorld train games (the first by path), {d['dropped']} dropped; rows: "
        + ", ".join(f"{k} {v}" for k, v in sorted(d["rows"].items()))
        + ".",
        "",
        "## Training (`step-hrl train`)",
        "",
        f"Status {t['status']}; {t['rows_trained']} rows trained in {ph.get('train_seconds', 0):.0f} s: "
        f"**{t['samples_per_s']} samples/s** end to end (model loads, dev evaluations and checkpoints included); "
        f"peak RSS {t['peak_rss_mb']} MB (the CLI and its Python worker).",
        "",
        "| stage | steps | rows | first train metrics | last train metrics |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, st in t["stages"].items():
        fmt = lambda m: ", ".join(f"{k} {v}" for k, v in m.items() if k not in ("epoch", "step"))  # noqa: E731
        lines.append(f"| {name} | {st['steps']} | {st['rows']} | {fmt(st['first'])} | {fmt(st['last'])} |")
    for name, f in t["finals"].items():
        lines.append("")
        lines.append(f"- {name} final: dev-selected step {f['selected_step']}, dev {json.dumps(f['dev'])}")
    lines += [
        "",
        "## Eval (`step-hrl eval --preset alfworld-seen --llm openai --profile paper`, against the served model)",
        "",
        f"Subset: `--tasks {s['eval_tasks']} --limit {s['eval_episodes']} --max-steps {s['eval_max_steps']}` "
        "(the first valid_seen games of the task type the training games are).",
        "",
        "| model | episodes | won | success rate | mean steps | tokens/step | server requests | generate s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, e in r["eval"].items():
        if e is None:
            lines.append(f"| {name} | not run | | | | | | |")
            continue
        sv = e["server"]
        lines.append(
            f"| {name} ({sv.get('model')}) | {e['episodes']} | {e['won']} | {pct(e['success_rate'])} | "
            f"{e['mean_steps']} | {e['tokens_per_step']} | {sv.get('requests')} | {sv.get('generate_seconds')} |"
        )
    before, after = r["eval"].get("before"), r["eval"].get("after")
    if before and after:
        lines += [
            "",
            f"Success rate before training {pct(before['success_rate'])}, after {pct(after['success_rate'])}.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
