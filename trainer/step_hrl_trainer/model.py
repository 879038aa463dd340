"""Base models and tokenizers: the SmolLM2 GGUF (dequantized), a tiny random model, or a HF folder."""

from __future__ import annotations

from typing import Any


def load_base(spec: dict) -> tuple[Any, Any]:
    """Returns (model, tokenizer) in float32 on the CPU for a base spec:
    {"kind": "gguf", "path": ".../x.gguf"} (transformers' GGUF loader, weights dequantized),
    {"kind": "tiny", vocab_size, hidden_size, ...} (random init from its seed; tokenizer built locally
    with `tokenizers` from a fixed corpus, no download), {"kind": "hf", "path": folder}."""
    raise NotImplementedError
