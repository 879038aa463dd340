"""The model side of the OpenAI-compatible server: load a base model (plus an optional LoRA adapter) and generate.

Kept apart from the HTTP layer (``serve.py``) so tests and scripts can call the same generation the server runs.
Generation is one request at a time under a lock: on a CPU a second concurrent ``generate`` only slows both.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from .data import Encoder

#: The file a training stage's ``final/`` folder names its base model in (written by ``run.finalize``).
BASE_SPEC_FILE = "base.json"

#: The repository root (trainer/step_hrl_trainer/ is two levels below it).
PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: Written by PEFT's ``save_pretrained`` in every adapter folder.
ADAPTER_CONFIG_FILE = "adapter_config.json"

#: ChatML, used only when a tokenizer has no chat template of its own (the tiny test tokenizer).
FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class ServeSetupError(Exception):
    """A bad ``--checkpoint``/``--base`` value; the message names the input and the fix."""


@dataclass
class Generation:
    """One completion: the text (cut before any stop string), token counts and why it ended."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    #: ``stop`` (a stop string or the end-of-sequence token) or ``length`` (``max_tokens`` reached).
    finish_reason: str


def read_base_spec(base: str | None, checkpoint: Path | None) -> dict[str, Any]:
    """The base model spec: ``--base`` (a JSON file or inline JSON), else the checkpoint's ``base.json``."""
    if base is not None:
        text = base
        if not base.lstrip().startswith("{"):
            path = Path(base)
            if not path.is_file():
                raise ServeSetupError(
                    f"--base {base!r} is neither inline JSON nor a file; pass a spec such as "
                    '\'{"kind": "gguf"}\' or the path of a base.json'
                )
            text = path.read_text()
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as err:
            raise ServeSetupError(f"--base {base!r} is not valid JSON ({err}); pass a JSON object") from err
    elif checkpoint is not None:
        path = checkpoint / BASE_SPEC_FILE
        if not path.is_file():
            raise ServeSetupError(
                f"--checkpoint {str(checkpoint)!r} has no {BASE_SPEC_FILE}; pass the base model with --base "
                "(a spec JSON) or point --checkpoint at a stage's final/ folder"
            )
        spec = json.loads(path.read_text())
    else:
        raise ServeSetupError(
            "nothing to serve: pass --checkpoint <a stage's final/ folder> and/or --base <spec JSON> "
            '(for example --base \'{"kind": "gguf"}\' serves the untrained base model)'
        )
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ServeSetupError(f"the base spec must be a JSON object with a 'kind' field, got {spec!r}")
    if spec["kind"] == "gguf" and "path" not in spec:
        from .config import DEFAULTS  # the model the project installs (SmolLM2-135M-Instruct)

        spec = {**DEFAULTS["base"], **spec}
    path = spec.get("path")
    if isinstance(path, str) and not Path(path).is_absolute() and not Path(path).exists():
        # A relative path as the config docs write it (.tools/models/...) means the project root's.
        spec = {**spec, "path": str(PROJECT_ROOT / path)}
    return spec


def find_adapter_dir(checkpoint: Path) -> Path:
    """The folder holding the PEFT adapter: ``checkpoint`` itself or one sub-folder of it."""
    if not checkpoint.is_dir():
        raise ServeSetupError(
            f"--checkpoint {str(checkpoint)!r} is not a folder; pass a training stage's final/ folder "
            "(<run dir>/<stage>/final)"
        )
    if (checkpoint / ADAPTER_CONFIG_FILE).is_file():
        return checkpoint
    found = sorted(p.parent for p in checkpoint.glob(f"*/{ADAPTER_CONFIG_FILE}"))
    if len(found) == 1:
        return found[0]
    what = "several adapters: " + ", ".join(str(p) for p in found) if found else f"no {ADAPTER_CONFIG_FILE}"
    raise ServeSetupError(
        f"--checkpoint {str(checkpoint)!r} holds {what}; point it at the folder with one PEFT adapter "
        "(a stage's final/ folder)"
    )


class _StopOnStrings(StoppingCriteria):
    """Ends generation once the new text holds a stop string (the text is cut there afterwards)."""

    def __init__(self, tokenizer: Any, prompt_len: int, stop: Sequence[str]) -> None:
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.stop = [s for s in stop if s]
        self.hit = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        text = self.tokenizer.decode(input_ids[0, self.prompt_len :], skip_special_tokens=True)
        self.hit = any(s in text for s in self.stop)
        return torch.full((input_ids.shape[0],), self.hit, dtype=torch.bool, device=input_ids.device)


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` before the earliest stop string (excluded, as vLLM does) and whether one was found."""
    end = len(text)
    for s in stop:
        if s:
            at = text.find(s)
            if at != -1 and at < end:
                end = at
    return text[:end], end < len(text)


class Engine:
    """A causal LM (base, or base + LoRA adapter) that completes raw prompts and chat messages.

    Prompts are encoded by the trainer's ``data.Encoder``: a raw ``paper`` prompt is BOS + the text with no chat
    template, chat messages go through the tokenizer's chat template (issue 19 item 1).
    """

    def __init__(self, model: Any, tokenizer: Any, *, description: dict[str, Any]) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.description = description
        self.max_context = _max_context(model, tokenizer)
        self._lock = threading.Lock()
        if getattr(tokenizer, "chat_template", None) is None:
            tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        # The trainer's own encoder, so a served prompt is tokenized exactly as its training rows were.
        self._paper = Encoder(tokenizer, "paper", self.max_context)
        self._chat = Encoder(tokenizer, "chat", self.max_context)

    def encode_prompt(self, prompt: str) -> list[int]:
        """Token ids of a raw prompt: BOS (when the tokenizer has one) then the text, no template."""
        return self._paper.prompt_ids(prompt)

    def encode_messages(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of chat messages through the tokenizer's chat template, ending in the assistant's turn."""
        return self._chat.prompt_ids(messages)

    def generate(
        self,
        prompt_ids: list[int],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
        stop: Sequence[str] = (),
        seed: int | None = None,
    ) -> Generation:
        """Completes ``prompt_ids``: greedy at temperature 0 (the reference), else sampled (seeded by ``seed``)."""
        stop_list = [s for s in stop if s]
        ids = torch.tensor([prompt_ids], dtype=torch.long, device=self.model.device)
        criteria = _StopOnStrings(self.tokenizer, len(prompt_ids), stop_list)
        sample = temperature > 0
        options: dict[str, Any] = {"do_sample": False}
        if sample:
            options = {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}
        with self._lock, torch.inference_mode():
            if sample and seed is not None:
                torch.manual_seed(seed)
            out = self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_tokens,
                stopping_criteria=StoppingCriteriaList([criteria]) if stop_list else None,
                pad_token_id=self._pad_id(),
                **options,
            )
        new = out[0, len(prompt_ids) :].tolist()
        raw = self.tokenizer.decode(new, skip_special_tokens=True)
        text, stopped = cut_at_stop(raw, stop_list)
        ended = bool(new) and new[-1] in self._eos_ids()
        reason = "stop" if stopped or ended or len(new) < max_tokens else "length"
        return Generation(text=text, prompt_tokens=len(prompt_ids), completion_tokens=len(new), finish_reason=reason)

    def _pad_id(self) -> int | None:
        tok = self.tokenizer
        return tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

    def _eos_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids


def _max_context(model: Any, tokenizer: Any) -> int:
    """The longest prompt + completion the model takes (position embeddings), capped by the tokenizer's limit."""
    n = getattr(model.config, "max_position_embeddings", None) or 2048
    limit = getattr(tokenizer, "model_max_length", None)
    return min(n, limit) if isinstance(limit, int) and 0 < limit < 1_000_000 else n


def load_engine(checkpoint: str | None, base: str | None, *, threads: int | None = None) -> Engine:
    """Loads the base model from its spec (``--base`` or the checkpoint's ``base.json``), then the adapter if any."""
    if threads:
        torch.set_num_threads(threads)
    ckpt = Path(checkpoint) if checkpoint else None
    adapter_dir = find_adapter_dir(ckpt) if ckpt else None
    spec = read_base_spec(base, ckpt)
    from .model import load_base  # imported late: the trainer core loads transformers' heavier parts

    started = time.monotonic()
    model, tokenizer = load_base(spec)
    if adapter_dir is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False)
    description = {
        "base": spec,
        "adapter": str(adapter_dir) if adapter_dir else None,
        "load_seconds": round(time.monotonic() - started, 2),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    return Engine(model, tokenizer, description=description)
