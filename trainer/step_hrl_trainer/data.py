"""Dataset rows (docs/datasets.md §5) loaded through Hugging Face `datasets`, tokenized, and streamed in a
resumable order: each role's order in an epoch is a permutation seeded by (seed, role, epoch), so a stream's
whole state is (epoch, cursor) and a resumed run reads exactly the rows an uninterrupted one would."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import ROLES

COLUMNS = ("prompt", "completion", "reward", "done", "next_prompt")


def profile_dir(cfg: dict) -> str:
    """The rendering folder `<dataset>/<profile>-<obs>/` the labelling job wrote."""
    return os.path.join(cfg["data"]["dataset"], f"{cfg['data']['profile']}-{cfg['data']['obs']}")


def role_file(cfg: dict, role: str, split: str) -> str:
    """`<role>.<split>.prompt.jsonl` or `<role>.<split>.parquet` in the rendering folder."""
    ext = "prompt.jsonl" if cfg["data"]["format"] == "jsonl" else "parquet"
    return os.path.join(profile_dir(cfg), f"{role}.{split}.{ext}")


def load_rows(cfg: dict, role: str, split: str, cache_dir: str, limit: int | None = None) -> list[dict]:
    """The rows of one role and split as dicts with COLUMNS (first `limit` rows when given).

    Read with `datasets` (JSON or Parquet builder); an empty file is zero rows. A missing train file is an
    error naming it and the command that makes it; a missing dev file too (the labelling job always writes one)."""
    path = role_file(cfg, role, split)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"dataset file {path!r} not found: build it with `step-hrl label build --out {cfg['data']['dataset']} "
            f"--profile {cfg['data']['profile']} --obs {cfg['data']['obs']}` or fix data.dataset/profile/obs in the config"
        )
    if os.path.getsize(path) == 0:
        return []
    import datasets

    datasets.disable_progress_bars()
    builder = "json" if path.endswith(".jsonl") else "parquet"
    ds = datasets.load_dataset(builder, data_files=path, split="train", cache_dir=cache_dir)
    if len(ds) == 0:
        return []
    missing = [c for c in COLUMNS if c not in ds.column_names]
    if missing:
        raise ValueError(f"dataset file {path!r} lacks columns {missing}: rebuild it with `step-hrl label build`")
    if limit is not None:
        ds = ds.select(range(min(limit, len(ds))))
    cols = ds.select_columns(list(COLUMNS)).to_dict()
    rows = [dict(zip(COLUMNS, values)) for values in zip(*(cols[c] for c in COLUMNS))]
    for row in rows:  # Parquet keeps a chat prompt as JSON text
        for key in ("prompt", "next_prompt"):
            if cfg["data"]["profile"] == "chat" and isinstance(row[key], str) and row[key].startswith("["):
                row[key] = json.loads(row[key])
        if isinstance(row["completion"], list):
            row["completion"] = row["completion"][-1]["content"]
        row["reward"] = float(row["reward"])
        row["done"] = bool(row["done"])
    return rows


def load_all(cfg: dict, cache_dir: str) -> dict[str, dict[str, list[dict]]]:
    """{split: {role: rows}} for the config's roles; train capped by data.max_rows, dev by selection.dev_max_rows."""
    out: dict[str, dict[str, list[dict]]] = {"train": {}, "dev": {}}
    for role in cfg["data"]["roles"]:
        out["train"][role] = load_rows(cfg, role, "train", cache_dir, cfg["data"]["max_rows"])
        dev_cap = cfg["selection"]["dev_max_rows"] or cfg["data"]["max_rows"]
        out["dev"][role] = load_rows(cfg, role, "dev", cache_dir, dev_cap)
    return out


class Encoder:
    """Turns a prompt (+ target) into token ids: `paper` is BOS + the raw prompt string, no chat template;
    `chat` is the tokenizer's chat template with the generation prompt. The target is the completion + EOS.
    A prompt longer than data.max_seq_len minus the target is cut from the left (the state's end is kept)."""

    def __init__(self, tokenizer: Any, profile: str, max_len: int):
        self.tok, self.profile, self.max_len = tokenizer, profile, max_len
        if profile == "chat" and not getattr(tokenizer, "chat_template", None):
            raise ValueError("data.profile chat needs a tokenizer with a chat template: use profile paper or another base")

    def prompt_ids(self, prompt: Any) -> list[int]:
        if self.profile == "chat":
            messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
            return list(self.tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True))
        bos = [self.tok.bos_token_id] if self.tok.bos_token_id is not None else []
        return bos + self.tok(prompt, add_special_tokens=False)["input_ids"]

    def target_ids(self, completion: str) -> list[int]:
        return self.tok(completion, add_special_tokens=False)["input_ids"] + [self.tok.eos_token_id]

    def pair(self, prompt: Any, completion: str) -> tuple[list[int], int]:
        """(ids, n_prompt): the prompt's ids then the target's; the target is ids[n_prompt:]."""
        p, t = self.prompt_ids(prompt), self.target_ids(completion)
        t = t[: self.max_len - 1]
        p = p[-(self.max_len - len(t)) :]
        return p + t, len(p)

    def state(self, prompt: Any) -> list[int]:
        return self.prompt_ids(prompt)[-self.max_len :]


@dataclass
class Encoded:
    """One row ready for the model: ids of prompt+target, prompt length, ids of the next state, reward, done."""

    ids: list[int]
    n_prompt: int
    next_ids: list[int]
    reward: float
    done: bool


def encode_rows(enc: Encoder, rows: list[dict], with_next: bool) -> list[Encoded]:
    """Tokenizes rows; `with_next` also encodes s' (offline RL needs it, BC does not)."""
    out = []
    for r in rows:
        ids, n = enc.pair(r["prompt"], r["completion"])
        out.append(Encoded(ids, n, enc.state(r["next_prompt"]) if with_next else [], r["reward"], r["done"]))
    return out


class RoleStream:
    """Rows of one role in a per-epoch seeded order. State is (epoch, cursor); a batch never crosses an epoch
    end (the epoch's last batch is smaller), so epoch boundaries are exact for the epoch-defining role."""

    def __init__(self, n: int, seed: int, role: str, state: dict | None = None):
        if n == 0:
            raise ValueError(f"no train rows for role {role!r}: drop it from data.roles or rebuild the dataset")
        self.n, self.seed, self.role = n, seed, role
        self.epoch, self.cursor = (state["epoch"], state["cursor"]) if state else (0, 0)

    def order(self, epoch: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, ROLES.index(self.role), epoch])
        return rng.permutation(self.n)

    def next_batch(self, size: int) -> list[int]:
        idx = self.order(self.epoch)[self.cursor : self.cursor + size].tolist()
        self.cursor += len(idx)
        if self.cursor >= self.n:
            self.epoch, self.cursor = self.epoch + 1, 0
        return idx

    def state(self) -> dict:
        return {"epoch": self.epoch, "cursor": self.cursor}


def main_role(roles: list[str]) -> str:
    """The role whose epochs define the stage's epochs: low (one row per step) when trained, else the first."""
    return "low" if "low" in roles else roles[0]


def steps_per_epoch(n_rows: int, global_batch: int) -> int:
    return math.ceil(n_rows / global_batch)
