"""The OpenAI-compatible server (serve.py) over real HTTP: a tiny random model with a freshly made LoRA adapter,
served by `python -m step_hrl_trainer.serve`, answers exactly what `model.generate` gives greedily; the base model
alone is served without the adapter; bad requests and bad command lines get errors that name the input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, PeftModel, get_peft_model

from step_hrl_trainer.model import load_base

TRAINER_DIR = Path(__file__).resolve().parents[1]

TINY = {
    "kind": "tiny",
    "vocab_size": 512,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,
    "seed": 0,
}

PROMPTS = [
    "Your task is to: put a clean apple in fridge.\nCurrent subtask: go to countertop 1\nAction:",
    "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a fridge 1.",
    "go to",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_checkpoint(final: Path) -> None:
    """A stage's final/ folder as finalize writes it: a PEFT adapter (lora_B randomised so it changes the
    output; a fresh one is the identity) and base.json."""
    model, _ = load_base(TINY)
    lora = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
    peft_model = get_peft_model(model, lora)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    peft_model.save_pretrained(str(final))
    (final / "base.json").write_text(json.dumps(TINY))


class Served:
    """A server process and its base URL; stopped with its own pid."""

    def __init__(self, args: list[str], model_name: str) -> None:
        self.port = free_port()
        self.model_name = model_name
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "step_hrl_trainer.serve", *args, "--port", str(self.port), "--threads", "1"]
        self.proc = subprocess.Popen(
            [*cmd, "--model-name", model_name], cwd=TRAINER_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.proc.stdout.read().decode()}")
            try:
                get(f"{self.url}/health")
                return
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("server did not answer /health within 120 s")
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def post(url: str, body: dict | bytes) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def greedy(model, tokenizer, ids: list[int], max_new: int, stop: list[str]) -> tuple[str, int]:
    """The reference: `model.generate` greedy to max_new tokens, cut before the first stop string."""
    with torch.no_grad():
        out = model.generate(
            input_ids=torch.tensor([ids]),
            attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            max_new_tokens=max_new,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        )
    new = out[0, len(ids) :].tolist()
    text = tokenizer.decode(new, skip_special_tokens=True)
    cut = min([text.find(s) for s in stop if s in text], default=len(text))
    return text[:cut], len(new)


def paper_ids(tokenizer, prompt: str) -> list[int]:
    """A raw `paper` prompt as trained: BOS, then the text, no chat template."""
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    return [tokenizer.bos_token_id, *ids] if tokenizer.bos_token_id is not None else ids


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    final = tmp_path_factory.mktemp("run") / "bc" / "final"
    final.mkdir(parents=True)
    make_checkpoint(final)
    return final


@pytest.fixture(scope="module")
def reference(checkpoint):
    """The same base + adapter loaded in this process (and the base alone) for model.generate."""
    base, tokenizer = load_base(TINY)
    base.eval()
    adapted, _ = load_base(TINY)
    adapted = PeftModel.from_pretrained(adapted, str(checkpoint)).eval()
    return {"base": base, "adapted": adapted, "tokenizer": tokenizer}


@pytest.fixture(scope="module")
def adapter_server(checkpoint):
    s = Served(["--checkpoint", str(checkpoint)], "tiny-policy")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def base_server(tmp_path_factory):
    spec = tmp_path_factory.mktemp("spec") / "base.json"
    spec.write_text(json.dumps(TINY))
    s = Served(["--base", str(spec)], "tiny-base")
    yield s
    s.stop()


def completion(server: Served, prompt: str, max_tokens: int, stop: list[str] | None = None) -> dict:
    body = {"model": server.model_name, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0}
    if stop:
        body["stop"] = stop
    status, out = post(f"{server.url}/v1/completions", body)
    assert status == 200, out
    return out


def test_completions_equal_greedy_generate_with_the_adapter(adapter_server, reference):
    tok = reference["tokenizer"]
    for prompt in PROMPTS:
        ids = paper_ids(tok, prompt)
        want, n = greedy(reference["adapted"], tok, ids, 24, [])
        out = completion(adapter_server, prompt, 24)
        assert out["choices"][0]["text"] == want
        assert out["usage"] == {"prompt_tokens": len(ids), "completion_tokens": n, "total_tokens": len(ids) + n}
        assert out["model"] == "tiny-policy" and out["object"] == "text_completion"


def test_stop_strings_cut_the_text_as_generate_then_cut(adapter_server, reference):
    tok = reference["tokenizer"]
    full, _ = greedy(reference["adapted"], tok, paper_ids(tok, PROMPTS[0]), 24, [])
    assert len(full) > 6, "the tiny model's greedy text is long enough to cut"
    stop = [full[4:6], "never-generated"]
    want, _ = greedy(reference["adapted"], tok, paper_ids(tok, PROMPTS[0]), 24, stop)
    out = completion(adapter_server, PROMPTS[0], 24, stop)
    assert out["choices"][0]["text"] == want == full[: full.find(stop[0])]
    assert out["choices"][0]["finish_reason"] == "stop"
    assert out["usage"]["completion_tokens"] < 24, "generation ended at the stop string"


def test_base_server_serves_the_base_model_without_the_adapter(base_server, adapter_server, reference):
    tok = reference["tokenizer"]
    differs = False
    for prompt in PROMPTS:
        want, _ = greedy(reference["base"], tok, paper_ids(tok, prompt), 16, [])
        got = completion(base_server, prompt, 16)["choices"][0]["text"]
        assert got == want
        differs |= got != completion(adapter_server, prompt, 16)["choices"][0]["text"]
    assert differs, "the adapter changes at least one answer"
    health = get(f"{base_server.url}/health")
    assert health["status"] == "ok" and health["adapter"] is None and health["base"]["kind"] == "tiny"


def test_chat_completions_use_the_chat_template(adapter_server, reference):
    tok = reference["tokenizer"]
    messages = [{"role": "system", "content": "You act in a text world."}, {"role": "user", "content": PROMPTS[1]}]
    status, out = post(
        f"{adapter_server.url}/v1/chat/completions",
        {"model": "tiny-policy", "messages": messages, "max_tokens": 12, "temperature": 0},
    )
    assert status == 200, out
    ids = list(tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True))
    want, n = greedy(reference["adapted"], tok, ids, 12, [])
    assert out["choices"][0]["message"] == {"role": "assistant", "content": want}
    assert out["usage"]["completion_tokens"] == n and out["object"] == "chat.completion"


def test_models_and_health_name_the_served_model(adapter_server, checkpoint):
    assert [m["id"] for m in get(f"{adapter_server.url}/v1/models")["data"]] == ["tiny-policy"]
    health = get(f"{adapter_server.url}/health")
    assert health["model"] == "tiny-policy" and Path(health["adapter"]) == checkpoint
    assert health["requests"] >= 1 and health["completion_tokens"] >= 1


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"model": "gpt-4o", "prompt": "x"}, 404, "model 'gpt-4o' is not served here; this server serves 'tiny-policy'"),
        ({"prompt": "x"}, 400, "'model' is required"),
        ({"model": "tiny-policy", "prompt": "x", "max_tokens": 0}, 400, "'max_tokens' must be an integer >= 1"),
        ({"model": "tiny-policy", "prompt": "x", "temperature": 3}, 400, "'temperature' must be a number from 0"),
        ({"model": "tiny-policy", "prompt": "x", "stream": True}, 400, "streaming is not supported"),
        ({"model": "tiny-policy", "prompt": [1, 2]}, 400, "'prompt' must be a string"),
        ({"model": "tiny-policy", "prompt": "x", "max_tokens": 4000}, 400, "maximum context length is 2048 tokens"),
        (b"not json", 400, "the request body is not JSON"),
    ],
)
def test_bad_completion_requests_get_openai_errors_naming_the_field(adapter_server, body, status, says):
    got, out = post(f"{adapter_server.url}/v1/completions", body)
    assert got == status
    assert says in out["error"]["message"]


def test_json_schema_is_refused_naming_response_format(adapter_server):
    """The project's client answers this 400 by asking for JSON in the prompt (openai-client.ts)."""
    body = {
        "model": "tiny-policy",
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "o", "schema": {}}},
    }
    status, out = post(f"{adapter_server.url}/v1/chat/completions", body)
    assert status == 400 and out["error"]["param"] == "response_format"
    assert "json_schema" in out["error"]["message"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--checkpoint", "/nonexistent/final"], "is not a folder"),
        ([], "nothing to serve"),
        (["--base", "{not json"], "is not valid JSON"),
    ],
)
def test_bad_command_lines_exit_2_naming_the_flag(args, says):
    proc = subprocess.run(
        [sys.executable, "-m", "step_hrl_trainer.serve", *args, "--port", "1"],
        cwd=TRAINER_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert says in proc.stderr


def test_a_checkpoint_without_base_json_asks_for_base(tmp_path):
    (tmp_path / "adapter_config.json").write_text("{}")
    proc = subprocess.run(
        [sys.executable, "-m", "step_hrl_trainer.serve", "--checkpoint", str(tmp_path), "--port", "1"],
        cwd=TRAINER_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "has no base.json; pass the base model with --base" in proc.stderr
