"""OpenAI-compatible HTTP server for a trained checkpoint (issue 19 item 5), so ``step-hrl eval`` runs against it.

    python -m step_hrl_trainer.serve --checkpoint <run dir>/<stage>/final --port 8011 --model-name policy
    python -m step_hrl_trainer.serve --base '{"kind": "gguf"}' --port 8012 --model-name base   # before training

Routes: ``GET /health``, ``GET /v1/models``, ``POST /v1/completions`` (the ``paper`` profile: raw prompt, ``stop``)
and ``POST /v1/chat/completions`` (the ``chat`` profile), non-streaming. Decoding is greedy at temperature 0 (the
reference's; the default here too). ``response_format`` other than ``text`` is refused with a 400 that names it,
which the project's client answers by asking for JSON in the prompt. Errors use OpenAI's body
(``{"error": {"message", "type", "param", "code"}}``), so clients show the message. See docs/serving.md.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .serve_engine import Engine, Generation, ServeSetupError, load_engine

#: Model name served when ``--model-name`` is not given.
DEFAULT_MODEL_NAME = "step-hrl-policy"

#: OpenAI's completions default for ``max_tokens``.
DEFAULT_MAX_TOKENS = 16


class RequestError(Exception):
    """A request the server refuses; becomes an OpenAI-style error body with ``status``."""

    def __init__(self, message: str, *, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.param = param
        self.status = status
        self.code = code


def _error(status: int, message: str, *, param: str | None = None, code: str | None = None) -> JSONResponse:
    kind = {404: "NotFoundError", 500: "internal_error"}.get(status, "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _int(body: dict[str, Any], name: str, default: int, low: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise RequestError(f"'{name}' must be an integer >= {low}, got {value!r}", param=name)
    return value


def _float(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise RequestError(f"'{name}' must be a number from {low} to {high}, got {value!r}", param=name)
    return float(value)


def _stop(body: dict[str, Any]) -> list[str]:
    stop = body.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return stop
    raise RequestError(f"'stop' must be a string or a list of strings, got {stop!r}", param="stop")


def _refuse_unsupported(body: dict[str, Any]) -> None:
    """Refuses, naming the field, what this server would otherwise silently get wrong."""
    if body.get("stream"):
        raise RequestError("streaming is not supported by this server; send 'stream': false", param="stream")
    if _int(body, "n", 1, 1) != 1:
        raise RequestError("'n' must be 1: this server returns one choice per prompt", param="n")
    if body.get("echo"):
        raise RequestError("'echo' is not supported by this server; send 'echo': false", param="echo")
    if body.get("best_of") not in (None, 1):
        raise RequestError("'best_of' must be 1 (or left out) on this server", param="best_of")
    for name in ("logprobs", "top_logprobs", "logit_bias", "tools", "functions", "suffix"):
        if body.get(name):  # null, false, 0, "" and {} mean "none", as in OpenAI's API
            raise RequestError(f"'{name}' is not supported by this server; leave it out", param=name)
    for name in ("presence_penalty", "frequency_penalty"):
        if body.get(name) not in (None, 0, 0.0):
            raise RequestError(f"'{name}' is not supported by this server; leave it out or send 0", param=name)


class Server:
    """The routes' state: the engine, the served model name and request counters."""

    def __init__(self, engine: Engine, model_name: str) -> None:
        self.engine = engine
        self.model_name = model_name
        self.started = int(time.time())
        self.requests = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.generate_seconds = 0.0
        self._counts = threading.Lock()

    def check_model(self, body: dict[str, Any]) -> None:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise RequestError("'model' is required: the name this server serves (GET /v1/models)", param="model")
        if model != self.model_name:
            raise RequestError(
                f"model '{model}' is not served here; this server serves '{self.model_name}' "
                "(set STEP_HRL_MODEL to it, or start the server with --model-name)",
                param="model",
                status=404,
                code="model_not_found",
            )

    def run(self, ids: list[int], body: dict[str, Any], max_name: str = "max_tokens") -> Generation:
        max_tokens = _int(body, max_name, DEFAULT_MAX_TOKENS, 1)
        limit = self.engine.max_context
        if len(ids) + max_tokens > limit:
            raise RequestError(
                f"this model's maximum context length is {limit} tokens; the prompt has {len(ids)} tokens and "
                f"'{max_name}' asks for {max_tokens}: shorten the prompt or lower '{max_name}'",
                param=max_name,
            )
        started = time.monotonic()
        out = self.engine.generate(
            ids,
            max_tokens=max_tokens,
            temperature=_float(body, "temperature", 0.0, 0.0, 2.0),
            top_p=_float(body, "top_p", 1.0, 0.0, 1.0),
            stop=_stop(body),
            seed=body.get("seed") if isinstance(body.get("seed"), int) else None,
        )
        with self._counts:
            self.requests += 1
            self.prompt_tokens += out.prompt_tokens
            self.completion_tokens += out.completion_tokens
            self.generate_seconds += time.monotonic() - started
        return out

    def completions(self, body: dict[str, Any]) -> dict[str, Any]:
        self.check_model(body)
        _refuse_unsupported(body)
        prompt = body.get("prompt")
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
            raise RequestError(
                "'prompt' must be a string or a non-empty list of strings (token-id prompts are not supported)",
                param="prompt",
            )
        outs = [self.run(self.engine.encode_prompt(p), body) for p in prompts]
        choices = [
            {"index": i, "text": o.text, "logprobs": None, "finish_reason": o.finish_reason}
            for i, o in enumerate(outs)
        ]
        return self._envelope("cmpl", "text_completion", choices, outs)

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        self.check_model(body)
        _refuse_unsupported(body)
        fmt = body.get("response_format")
        if fmt is not None and not (isinstance(fmt, dict) and fmt.get("type") == "text"):
            kind = fmt.get("type") if isinstance(fmt, dict) else fmt
            raise RequestError(
                f"response_format {kind!r} (json_schema / structured output) is not supported by this server; "
                "ask for JSON in the prompt instead",
                param="response_format",
            )
        messages = _messages(body.get("messages"))
        name = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
        out = self.run(self.engine.encode_messages(messages), body, name)
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": out.text},
            "logprobs": None,
            "finish_reason": out.finish_reason,
        }
        return self._envelope("chatcmpl", "chat.completion", [choice], [out])

    def _envelope(self, prefix: str, obj: str, choices: list[dict[str, Any]], outs: list[Generation]) -> dict:
        prompt = sum(o.prompt_tokens for o in outs)
        completion = sum(o.completion_tokens for o in outs)
        return {
            "id": f"{prefix}-{uuid.uuid4().hex}",
            "object": obj,
            "created": int(time.time()),
            "model": self.model_name,
            "choices": choices,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }

    def model_card(self) -> dict[str, Any]:
        return {"id": self.model_name, "object": "model", "created": self.started, "owned_by": "step-hrl"}

    def health(self) -> dict[str, Any]:
        with self._counts:
            stats = {
                "requests": self.requests,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "generate_seconds": round(self.generate_seconds, 3),
            }
        return {"status": "ok", "model": self.model_name, **self.engine.description, **stats}


def _messages(value: Any) -> list[dict[str, str]]:
    """Chat messages as ``{role, content}`` with text content (OpenAI's text parts are joined)."""
    if not isinstance(value, list) or not value:
        raise RequestError("'messages' must be a non-empty list of {role, content} objects", param="messages")
    out = []
    for i, m in enumerate(value):
        role = m.get("role") if isinstance(m, dict) else None
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list):
            parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
            content = "".join(p for p in parts if isinstance(p, str)) if len(parts) == len(content) else None
        if not isinstance(role, str) or not isinstance(content, str):
            raise RequestError(
                f"messages[{i}] must be an object with a string 'role' and text 'content', got {m!r}",
                param="messages",
            )
        out.append({"role": role, "content": content})
    return out


def create_app(engine: Engine, model_name: str = DEFAULT_MODEL_NAME) -> FastAPI:
    """The FastAPI app serving ``engine`` as ``model_name``."""
    server = Server(engine, model_name)
    app = FastAPI(title="step-hrl policy server", docs_url=None, redoc_url=None)
    app.state.server = server

    async def json_body(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except Exception as err:
            raise RequestError(f"the request body is not JSON ({err}); send a JSON object") from err
        if not isinstance(body, dict):
            raise RequestError("the request body must be a JSON object")
        return body

    @app.exception_handler(RequestError)
    async def on_request_error(_: Request, err: RequestError) -> JSONResponse:
        return _error(err.status, str(err), param=err.param, code=err.code)

    @app.exception_handler(Exception)
    async def on_crash(_: Request, err: Exception) -> JSONResponse:
        return _error(500, f"generation failed: {type(err).__name__}: {err}")

    @app.get("/health")
    def health() -> dict[str, Any]:
        return server.health()

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [server.model_card()]}

    @app.get("/v1/models/{name:path}")
    def model(name: str) -> dict[str, Any]:
        server.check_model({"model": name})
        return server.model_card()

    # Generation is blocking: run it in the thread pool so /health answers meanwhile.
    @app.post("/v1/completions")
    async def completions(request: Request) -> dict[str, Any]:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(server.completions, await json_body(request))

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict[str, Any]:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(server.chat, await json_body(request))

    return app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(
        prog="python -m step_hrl_trainer.serve",
        description="Serve a base model, or a trained LoRA checkpoint on it, behind an OpenAI-compatible API.",
    )
    p.add_argument("--checkpoint", help="a training stage's final/ folder (PEFT adapter + base.json)")
    p.add_argument("--base", help="base model spec, a JSON file or inline JSON (default: the checkpoint's base.json)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--model-name", default=DEFAULT_MODEL_NAME, help=f"served model name (default {DEFAULT_MODEL_NAME})")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default warning; info logs requests)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Loads the model and serves until interrupted; exit 2 on a bad ``--checkpoint``/``--base``."""
    args = parse_args(argv)
    try:
        engine = load_engine(args.checkpoint, args.base, threads=args.threads)
    except (ServeSetupError, FileNotFoundError, ValueError) as err:  # load_base names a missing or bad base model
        print(f"step-hrl serve: {err}", file=sys.stderr)
        return 2
    import uvicorn

    app = create_app(engine, args.model_name)
    what = f"adapter {engine.description['adapter']}" if engine.description["adapter"] else "base model only"
    print(
        f"step-hrl serve: '{args.model_name}' ({what}, base {engine.description['base']}) loaded in "
        f"{engine.description['load_seconds']} s; OpenAI base URL http://{args.host}:{args.port}/v1",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
