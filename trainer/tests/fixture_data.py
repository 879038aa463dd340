"""Writes a small dataset in the labelling job's layout (docs/datasets.md §5): `<out>/paper-raw/<role>.<split>
.prompt.jsonl` and `.parquet` with the same columns, from synthetic ALFWorld-like trajectories (deterministic)."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

PLACES = ["countertop 1", "cabinet 2", "sinkbasin 1", "fridge 1", "drawer 3", "shelf 1"]
OBJECTS = ["mug 1", "apple 2", "knife 1", "plate 1"]


def _trajectory(k: int) -> list[tuple[str, list[str]]]:
    """Two subtasks of three actions each."""
    obj, a, b = OBJECTS[k % len(OBJECTS)], PLACES[k % len(PLACES)], PLACES[(k + 2) % len(PLACES)]
    return [
        (f"take {obj} from {a}", [f"go to {a}", f"open {a}", f"take {obj} from {a}"]),
        (f"put {obj} in {b}", [f"go to {b}", f"open {b}", f"move {obj} to {b}"]),
    ]


def rows_for(k: int, split: str) -> dict[str, list[dict]]:
    task = f"put some {OBJECTS[k % len(OBJECTS)].split()[0]} in {PLACES[(k + 2) % len(PLACES)].split()[0]}"
    traj = _trajectory(k)
    out: dict[str, list[dict]] = {"high": [], "low": [], "progress": []}
    base = {"trajectory_id": f"alfworld:fixture/{k}", "env": "alfworld", "task": task, "split": split,
            "raw_target": None, "provenance": {"segmenter": "rules", "rules": "rules-v1"}}
    n_steps = sum(len(acts) for _, acts in traj)
    t = 0
    for si, (sub, acts) in enumerate(traj):
        high_prompt = f"Task: {task}\nObservation: You are in the middle of a room.\nStep {t}\nSubtask:"
        out["high"].append({**base, "prompt": high_prompt, "completion": sub, "role": "high", "subtask_index": si,
                            "step_index": t, "reward": 1.0 if si == len(traj) - 1 else 0.0, "score": 0.0,
                            "done": si == len(traj) - 1, "next_prompt": ""})
        progress = "None"
        for ai, act in enumerate(acts):
            last = ai == len(acts) - 1
            low_prompt = f"Subtask: {sub}\nLocal progress: {progress}\nObservation: step {t}\nAction:"
            out["low"].append({**base, "prompt": low_prompt, "completion": f"{act}; {last}", "role": "low",
                               "subtask_index": si, "step_index": t, "reward": 1.0 if last else 0.0,
                               "score": (t + 1) / n_steps, "done": last, "next_prompt": ""})
            if t < n_steps - 1:
                label = f"Done {ai + 1} of {len(acts)} actions; last: {act}."
                out["progress"].append({**base, "prompt": f"Subtask: {sub}\nPrevious local progress: {progress}\n"
                                        f"Current action: {act}\nUpdated local progress:", "completion": label,
                                        "role": "progress", "subtask_index": si, "step_index": t,
                                        "reward": 1.0 if last else 0.0, "score": (t + 1) / n_steps, "done": last,
                                        "next_prompt": "", "raw_target": label})
                progress = label
            t += 1
    end = "Task successfully finished"
    for role_rows in out.values():  # `next_prompt`: the next row's input of the same role, then the placeholder
        for i, r in enumerate(role_rows):
            r["next_prompt"] = role_rows[i + 1]["prompt"] if i + 1 < len(role_rows) else end
    return out


def write_dataset(out: str, n_train: int = 8, n_dev: int = 2, profile: str = "paper", obs: str = "raw") -> str:
    """Writes the dataset; returns the dataset folder (what `data.dataset` names)."""
    folder = os.path.join(out, f"{profile}-{obs}")
    os.makedirs(folder, exist_ok=True)
    for split, ks in (("train", range(n_train)), ("dev", range(n_train, n_train + n_dev))):
        per_role: dict[str, list[dict]] = {"high": [], "low": [], "progress": []}
        for k in ks:
            for role, rows in rows_for(k, split).items():
                per_role[role].extend(rows)
        for role, rows in per_role.items():
            with open(os.path.join(folder, f"{role}.{split}.prompt.jsonl"), "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
            table = pa.table({k: [json.dumps(r[k]) if k == "provenance" else r[k] for r in rows] for k in rows[0]})
            pq.write_table(table, os.path.join(folder, f"{role}.{split}.parquet"))
    return out
