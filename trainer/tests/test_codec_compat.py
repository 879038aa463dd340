"""The Python payload codec and the TypeScript one (src/codec) read each other's payloads.

The TypeScript side runs through ``codec_node.js`` (ts-node), so this checks the real codec, not a copy.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from step_hrl_trainer.codec import (
    AesGcmCodec,
    CodecKeyConfigError,
    PayloadDecryptionError,
    data_converter_from_env,
    load_codec_keys,
)

REPO = Path(__file__).resolve().parents[2]
NODE_SCRIPT = Path(__file__).with_name("codec_node.js")
KEY = base64.b64encode(bytes(range(32))).decode()
OLD_KEY = base64.b64encode(bytes(range(100, 132))).decode()
ENV = {"STEP_HRL_CODEC_KEY_ID": "k2", "STEP_HRL_CODEC_KEY": KEY, "STEP_HRL_CODEC_KEYS": f"k1:{OLD_KEY}"}

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO / "node_modules" / "ts-node").exists(),
    reason="node and the project's node_modules (npm ci) are needed for the TypeScript side",
)


def _payloads() -> list[Payload]:
    return [
        Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({"runDir": "r", "step": 3}).encode()),
        Payload(metadata={"encoding": b"binary/null"}, data=b""),
        Payload(metadata={"encoding": b"json/plain", "messageType": b"x"}, data="é ✓".encode() * 500),
    ]


def _to_json(payloads: list[Payload]) -> list[dict]:
    return [
        {
            "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
            "data": base64.b64encode(p.data).decode(),
        }
        for p in payloads
    ]


def _from_json(items: list[dict]) -> list[Payload]:
    return [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in item["metadata"].items()},
            data=base64.b64decode(item["data"]),
        )
        for item in items
    ]


def _node(op: str, payloads: list[Payload], env: dict[str, str]) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STEP_HRL_CODEC")}
    out = subprocess.run(
        ["node", str(NODE_SCRIPT)],
        input=json.dumps({"op": op, "payloads": _to_json(payloads)}),
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**clean, **env},
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


def _codec(env: dict[str, str]) -> AesGcmCodec:
    return AesGcmCodec(load_codec_keys(env))


@needs_node
def test_typescript_encrypted_payloads_decrypt_in_python() -> None:
    encrypted = _from_json(_node("encode", _payloads(), ENV)["payloads"])
    assert all(p.metadata["encoding"] == b"binary/encrypted" for p in encrypted)
    assert all(p.metadata["encryption-key-id"] == b"k2" for p in encrypted)
    assert asyncio.run(_codec(ENV).decode(encrypted)) == _payloads()


@needs_node
def test_python_encrypted_payloads_decrypt_in_typescript() -> None:
    encrypted = asyncio.run(_codec(ENV).encode(_payloads()))
    # Layout: IV (12) || ciphertext || tag (16) around the serialised payload.
    assert len(encrypted[0].data) == 12 + len(_payloads()[0].SerializeToString()) + 16
    decrypted = _from_json(_node("decode", encrypted, ENV)["payloads"])
    assert decrypted == _payloads()


@needs_node
def test_rotated_key_written_by_typescript_decrypts_with_the_old_key_listed() -> None:
    old_env = {"STEP_HRL_CODEC_KEY_ID": "k1", "STEP_HRL_CODEC_KEY": OLD_KEY}
    encrypted = _from_json(_node("encode", _payloads(), old_env)["payloads"])
    assert asyncio.run(_codec(ENV).decode(encrypted)) == _payloads()
    # The other way: a key the TypeScript side does not know is reported with the id to configure.
    ours = asyncio.run(_codec({"STEP_HRL_CODEC_KEY_ID": "k9", "STEP_HRL_CODEC_KEY": OLD_KEY}).encode(_payloads()))
    assert "k9" in _node("decode", ours, ENV)["error"]


def test_plain_payloads_pass_through_without_a_key() -> None:
    codec = _codec({})
    assert not codec.encrypting
    assert asyncio.run(codec.encode(_payloads())) == _payloads()
    assert asyncio.run(codec.decode(_payloads())) == _payloads()


def test_unknown_key_and_tampering_fail_with_a_clear_message() -> None:
    encrypted = asyncio.run(_codec(ENV).encode(_payloads()))
    with pytest.raises(PayloadDecryptionError, match="k2.*STEP_HRL_CODEC_KEY_ID=k2"):
        asyncio.run(_codec({}).decode(encrypted))
    tampered = Payload(metadata=dict(encrypted[0].metadata), data=encrypted[0].data[:-1] + b"\0")
    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        asyncio.run(_codec(ENV).decode([tampered]))


def test_bad_key_variables_name_the_variable_never_the_value() -> None:
    with pytest.raises(CodecKeyConfigError, match="STEP_HRL_CODEC_KEY is 3 bytes") as err:
        load_codec_keys({"STEP_HRL_CODEC_KEY_ID": "a", "STEP_HRL_CODEC_KEY": "YWJj"})
    assert "YWJj" not in str(err.value)
    with pytest.raises(CodecKeyConfigError, match="without STEP_HRL_CODEC_KEY_ID"):
        load_codec_keys({"STEP_HRL_CODEC_KEY": KEY})


def test_failure_messages_are_encoded_only_when_encrypting() -> None:
    from temporalio.api.failure.v1 import Failure

    def failure_of(converter) -> Failure:
        failure = Failure()
        converter.failure_converter.to_failure(RuntimeError("secret prompt"), converter.payload_converter, failure)
        return failure

    assert failure_of(data_converter_from_env({})).message == "secret prompt"
    encoded = failure_of(data_converter_from_env(ENV))
    assert encoded.message == "Encoded failure" and encoded.HasField("encoded_attributes")
