"""Base models and tokenizers: the SmolLM2 GGUF (dequantized), a tiny random model, or a HF folder."""

from __future__ import annotations

import os
from typing import Any

import torch

# Fixed text the tiny tokenizer learns its merges from (no download). Byte-level BPE covers any other text.
_TINY_CORPUS = [
    "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 1, a drawer 1, "
    "a fridge 1, a garbagecan 1, a microwave 1, a shelf 1, a sinkbasin 1, a stoveburner 1, and a toaster 1.",
    "Your task is to: put a clean mug in coffeemachine. go to countertop 1. take mug 1 from countertop 1. "
    "go to sinkbasin 1. clean mug 1 with sinkbasin 1. go to coffeemachine 1. move mug 1 to coffeemachine 1.",
    "Subtask: find the mug. Local progress: None. Action: open cabinet 1; True. Observation: You open the cabinet 1.",
    "Nothing happens. You arrive at drawer 1. On the drawer 1, you see a key 1 and a pen 2. Checked: Route: -> ||",
    "Task successfully finished. Task failed. Task not fully completed. heat boil water thermometer focus on",
]
_TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def load_base(spec: dict) -> tuple[Any, Any]:
    """Returns (model, tokenizer) in float32 on the CPU for a base spec:
    {"kind": "gguf", "path": ".../x.gguf"} (transformers' GGUF loader, weights dequantized),
    {"kind": "tiny", vocab_size, hidden_size, ...} (random init from its seed; tokenizer built locally
    with `tokenizers` from a fixed corpus, no download), {"kind": "hf", "path": folder}.
    The global RNGs are left as they were (the tiny init uses its own seed)."""
    kind = spec.get("kind")
    if kind == "tiny":
        return _tiny(spec)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = spec.get("path")
    if not isinstance(path, str) or not os.path.exists(path):
        raise FileNotFoundError(
            f"base model {path!r} not found: for kind gguf run `bash scripts/setup.sh` (it installs "
            ".tools/models/smollm2-135m-instruct-q4_1.gguf), for kind hf pass a model folder"
        )
    if kind == "gguf":
        folder, name = os.path.split(os.path.abspath(path))
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        _gguf_special_tokens(path, tokenizer, model)
    elif kind == "hf":
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    else:
        raise ValueError(f"base.kind must be gguf, tiny or hf (got {kind!r})")
    return model, tokenizer


def _gguf_special_tokens(path: str, tokenizer: Any, model: Any) -> None:
    """Sets BOS/EOS/PAD from the GGUF's own metadata: transformers 4.57 reads SmolLM2's EOS as <|im_start|>
    (id 1) while the file says <|im_end|> (id 2), which would teach the model never to stop."""
    from gguf import GGUFReader

    fields = GGUFReader(path).fields
    for which in ("bos", "eos", "padding"):
        field = fields.get(f"tokenizer.ggml.{which}_token_id")
        if field is None:
            continue
        token = tokenizer.convert_ids_to_tokens(int(field.parts[field.data[0]][0]))
        setattr(tokenizer, "pad_token" if which == "padding" else f"{which}_token", token)
    model.config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id


def tiny_tokenizer(vocab_size: int) -> Any:
    """A byte-level BPE tokenizer trained on a fixed corpus (deterministic), with <s>, </s>, <pad>."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_TINY_CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.chat_template = _TINY_CHAT_TEMPLATE
    return fast


def _tiny(spec: dict) -> tuple[Any, Any]:
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tiny_tokenizer(spec["vocab_size"])
    config = LlamaConfig(
        vocab_size=max(spec["vocab_size"], len(tokenizer)),
        hidden_size=spec["hidden_size"],
        intermediate_size=spec["intermediate_size"],
        num_hidden_layers=spec["num_hidden_layers"],
        num_attention_heads=spec["num_attention_heads"],
        num_key_value_heads=spec["num_key_value_heads"],
        max_position_embeddings=spec["max_position_embeddings"],
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.get("seed", 0))
        model = LlamaForCausalLM(config)
    return model.float(), tokenizer
