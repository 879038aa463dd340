"""The Python side of step-hrl's payload encryption, byte-compatible with ``src/codec/aes-gcm-codec.ts``.

AES-256-GCM over the serialised ``Payload`` protobuf; data = IV (12 bytes) || ciphertext || tag (16
bytes); metadata ``encoding`` = ``binary/encrypted`` and ``encryption-key-id``. Keys come from the
same environment variables as ``src/codec/keys.ts``, with the same rules and messages (which name
the variable and the fix, never a key's value). With a key that encrypts, failure messages and stack
traces move into the encoded (so encrypted) attributes, as ``src/codec/failure-converter.ts`` does.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, DefaultFailureConverter, PayloadCodec

KEY_ID_VAR = "STEP_HRL_CODEC_KEY_ID"
KEY_VAR = "STEP_HRL_CODEC_KEY"
OLD_KEYS_VAR = "STEP_HRL_CODEC_KEYS"
KEY_FIX = "make one with `openssl rand -base64 32`"

ENCRYPTED_ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
IV_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


class CodecKeyConfigError(ValueError):
    """A key variable that is malformed or inconsistent."""


class PayloadDecryptionError(ValueError):
    """An encrypted payload this process cannot decrypt: its key is not configured, or it was altered."""


@dataclass(frozen=True)
class CodecKeys:
    """The current key (encrypts new payloads; None = payloads stay plain) and every key that decrypts, by id."""

    current: Optional[tuple[str, bytes]] = None
    by_id: Mapping[str, bytes] = field(default_factory=dict)


def _check_id(key_id: str, where: str) -> None:
    if not _KEY_ID.match(key_id):
        raise CodecKeyConfigError(
            f"{where}: key id {key_id!r} is not valid; use 1-64 letters, digits, '.', '_' or '-'"
        )


def _parse_key(text: str, where: str) -> bytes:
    if not _BASE64.match(text) or len(text) % 4 != 0:
        raise CodecKeyConfigError(f"{where} is not base64; {KEY_FIX}")
    key = base64.b64decode(text)
    if len(key) != KEY_BYTES:
        raise CodecKeyConfigError(
            f"{where} is {len(key)} bytes, AES-256 needs {KEY_BYTES} bytes (44 base64 characters); {KEY_FIX}"
        )
    return key


def load_codec_keys(env: Optional[Mapping[str, str]] = None) -> CodecKeys:
    """Reads the keys from ``env`` (default ``os.environ``); no variable set = no keys (codec off)."""
    env = os.environ if env is None else env
    key_id = (env.get(KEY_ID_VAR) or "").strip() or None
    key_text = (env.get(KEY_VAR) or "").strip() or None
    by_id: dict[str, bytes] = {}
    entries = [e.strip() for e in (env.get(OLD_KEYS_VAR) or "").split(",") if e.strip()]
    for index, entry in enumerate(entries):
        where = f"{OLD_KEYS_VAR} entry {index + 1}"
        if ":" not in entry:
            raise CodecKeyConfigError(f"{where} is not `<key id>:<base64 key>`; write id1:key1,id2:key2")
        old_id, old_key = entry.split(":", 1)
        old_id = old_id.strip()
        _check_id(old_id, where)
        by_id[old_id] = _parse_key(old_key.strip(), f"{where} (key id {old_id!r})")
    if not key_id and not key_text:
        if by_id:
            raise CodecKeyConfigError(
                f"{OLD_KEYS_VAR} lists keys to decrypt with, but no key encrypts new payloads; set {KEY_ID_VAR} "
                f"and {KEY_VAR} too ({KEY_FIX})"
            )
        return CodecKeys(None, by_id)
    if not key_id:
        raise CodecKeyConfigError(f"{KEY_VAR} is set without {KEY_ID_VAR}; set {KEY_ID_VAR} to a short id")
    if not key_text:
        raise CodecKeyConfigError(f"{KEY_ID_VAR} is set without {KEY_VAR}; set {KEY_VAR} to a key ({KEY_FIX})")
    _check_id(key_id, KEY_ID_VAR)
    key = _parse_key(key_text, KEY_VAR)
    if key_id in by_id and by_id[key_id] != key:
        raise CodecKeyConfigError(
            f"{OLD_KEYS_VAR} lists key id {key_id!r} with a different key than {KEY_VAR}; "
            f"give each key its own id (rotate to a new {KEY_ID_VAR})"
        )
    by_id[key_id] = key
    return CodecKeys((key_id, key), by_id)


def is_encrypted(payload: Payload) -> bool:
    """Whether ``payload`` was written by this codec (or the TypeScript one)."""
    return payload.metadata.get("encoding") == ENCRYPTED_ENCODING


class AesGcmCodec(PayloadCodec):
    """AES-256-GCM codec; encodes with the current key (passes through with none), decodes by key id."""

    def __init__(self, keys: CodecKeys) -> None:
        self._keys = keys

    @property
    def encrypting(self) -> bool:
        return self._keys.current is not None

    async def encode(self, payloads: Sequence[Payload]) -> List[Payload]:
        return [self.encode_one(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> List[Payload]:
        return [self.decode_one(p) for p in payloads]

    def encode_one(self, payload: Payload) -> Payload:
        if self._keys.current is None:
            return payload
        key_id, key = self._keys.current
        iv = os.urandom(IV_BYTES)
        # AESGCM appends the 16-byte tag to the ciphertext: IV || ciphertext || tag, as Node writes it.
        sealed = AESGCM(key).encrypt(iv, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCRYPTED_ENCODING, KEY_ID_METADATA: key_id.encode()},
            data=iv + sealed,
        )

    def decode_one(self, payload: Payload) -> Payload:
        if not is_encrypted(payload):
            return payload
        raw_id = payload.metadata.get(KEY_ID_METADATA)
        if not raw_id:
            raise PayloadDecryptionError(
                f"an encrypted payload has no {KEY_ID_METADATA} in its metadata, so no key can be chosen for it; "
                "it was not written by step-hrl's codec"
            )
        key_id = raw_id.decode()
        key = self._keys.by_id.get(key_id)
        if key is None:
            known = ", ".join(repr(k) for k in self._keys.by_id)
            have = f"this process has key ids {known}" if known else "no key is set"
            raise PayloadDecryptionError(
                f"payload encrypted with key id {key_id!r}, which is not configured ({have}); set "
                f"{KEY_ID_VAR}={key_id} and {KEY_VAR} to the key it was written with, or list it as "
                f"{key_id}:<base64 key> in {OLD_KEYS_VAR} next to your current key"
            )
        data = payload.data
        if len(data) < IV_BYTES + TAG_BYTES:
            raise PayloadDecryptionError(f"an encrypted payload (key id {key_id!r}) is truncated")
        try:
            plain = AESGCM(key).decrypt(data[:IV_BYTES], data[IV_BYTES:], None)
        except Exception:
            raise PayloadDecryptionError(
                f"an encrypted payload (key id {key_id!r}) failed authentication: it was altered, or the key "
                f"configured for {key_id!r} is not the one it was written with"
            ) from None
        out = Payload()
        out.ParseFromString(plain)
        return out


class EncryptedFailureConverter(DefaultFailureConverter):
    """The SDK's default failure converter with ``encode_common_attributes`` on (messages and stacks encrypted)."""

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


def data_converter_from_env(env: Optional[Mapping[str, str]] = None) -> DataConverter:
    """The data converter for the keys in ``env``: the codec always (plain pass-through without a key),
    and the encrypting failure converter only when a key encrypts, as ``dataConverterFromEnv`` in TypeScript.
    """
    codec = AesGcmCodec(load_codec_keys(env))
    if not codec.encrypting:
        return dataclasses.replace(DataConverter.default, payload_codec=codec)
    return dataclasses.replace(
        DataConverter.default, payload_codec=codec, failure_converter_class=EncryptedFailureConverter
    )
