"""Hugging Face `datasets` loads the labelling job's JSONL and Parquet files (a small real output of
`step-hrl label build --env alfworld --split train_sample --limit 4 --dev-fraction 0.5 --profile paper,chat`,
kept in tests/data/alfworld-4), and both formats give the same rows to the trainer."""

from __future__ import annotations

import hashlib
import json
import os

import datasets
import pytest

from step_hrl_trainer.data import Encoder, load_rows
from step_hrl_trainer.model import tiny_tokenizer

REAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "alfworld-4")
ROLES = ("high", "low", "progress")


def cfg_for(profile: str, fmt: str) -> dict:
    return {"data": {"dataset": REAL, "profile": profile, "obs": "raw", "format": fmt}}


@pytest.mark.parametrize("profile", ["paper", "chat"])
def test_hf_datasets_loads_jsonl_and_parquet(profile: str, tmp_path) -> None:
    folder = os.path.join(REAL, f"{profile}-raw")
    for role in ROLES:
        for split in ("train", "dev"):
            js = datasets.load_dataset("json", data_files=os.path.join(folder, f"{role}.{split}.prompt.jsonl"),
                                       split="train", cache_dir=str(tmp_path))
            pq = datasets.load_dataset("parquet", data_files=os.path.join(folder, f"{role}.{split}.parquet"),
                                       split="train", cache_dir=str(tmp_path))
            assert len(js) == len(pq) > 0
            for col in ("prompt", "completion", "reward", "done", "next_prompt", "split"):
                assert col in js.column_names and col in pq.column_names
            assert set(js["split"]) == {split}


@pytest.mark.parametrize("profile", ["paper", "chat"])
def test_both_formats_give_the_trainer_the_same_rows(profile: str, tmp_path) -> None:
    for role in ROLES:
        a = load_rows(cfg_for(profile, "jsonl"), role, "train", str(tmp_path))
        b = load_rows(cfg_for(profile, "parquet"), role, "train", str(tmp_path))
        assert a == b and a
        for row in a:
            assert isinstance(row["completion"], str) and row["completion"]
            assert isinstance(row["prompt"], str if profile == "paper" else list)


@pytest.mark.parametrize("profile", ["paper", "chat"])
def test_files_are_the_jobs_output_and_row_counts_match_its_manifest(profile: str, tmp_path) -> None:
    folder = os.path.join(REAL, f"{profile}-raw")
    manifest = json.load(open(os.path.join(folder, "manifest.json"), encoding="utf-8"))
    checked = 0
    for entry in manifest["files"]:
        path = os.path.join(folder, entry["name"])
        if not os.path.isfile(path):
            continue  # only the prompt-completion JSONL and the Parquet files are kept here
        assert hashlib.sha256(open(path, "rb").read()).hexdigest() == entry["sha256"], entry["name"]
        role, split = entry["name"].split(".")[:2]
        fmt = "parquet" if entry["name"].endswith(".parquet") else "jsonl"
        assert len(load_rows(cfg_for(profile, fmt), role, split, str(tmp_path))) == entry["rows"]
        checked += 1
    assert checked == 12


def test_missing_file_names_the_file_and_the_fix(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"low\.train\.prompt\.jsonl.*step-hrl label build"):
        load_rows({"data": {"dataset": str(tmp_path), "profile": "paper", "obs": "raw", "format": "jsonl"}},
                  "low", "train", str(tmp_path))


def test_paper_prompt_is_bos_plus_raw_text_and_chat_uses_the_template(tmp_path) -> None:
    tok = tiny_tokenizer(512)
    row = load_rows(cfg_for("paper", "jsonl"), "low", "train", str(tmp_path))[0]
    ids, n = Encoder(tok, "paper", 4096).pair(row["prompt"], row["completion"])
    assert ids[0] == tok.bos_token_id and tok.decode(ids[1:n]) == row["prompt"]
    assert tok.decode(ids[n:-1]) == row["completion"] and ids[-1] == tok.eos_token_id
    chat = load_rows(cfg_for("chat", "jsonl"), "low", "train", str(tmp_path))[0]
    ids, n = Encoder(tok, "chat", 4096).pair(chat["prompt"], chat["completion"])
    assert tok.decode(ids[:n]) == tok.apply_chat_template(chat["prompt"], add_generation_prompt=True, tokenize=False)
    # a long prompt is cut from the left, the target always kept whole
    ids, n = Encoder(tok, "paper", 32).pair(row["prompt"], row["completion"])
    assert len(ids) == 32 and tok.decode(ids[n:-1]) == row["completion"]
    assert json.dumps(chat["prompt"])  # messages stay JSON-serialisable
