/**
 * The AES-256-GCM payload codec and its keys: round trip, tampering, rotation by id, bad keys; the
 * encoded failure messages of an encrypting data converter, and decoding them back from a raw history.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import {
  AesGcmCodec,
  CodecKeyConfigError,
  dataConverterFromEnv,
  decodeHistoryPayloads,
  ENCRYPTED_FAILURE_CONVERTER_PATH,
  ENCRYPTED_ENCODING,
  isEncrypted,
  KEY_ID_METADATA,
  loadCodecKeys,
  PayloadDecryptionError,
} from '../../../src/codec';
import { failureConverter } from '../../../src/codec/failure-converter';

const key = (): string => randomBytes(32).toString('base64');
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');
const SECRET = 'Your task is to take the gem from the chest in the study.';

function codec(env: Record<string, string>): AesGcmCodec {
  return new AesGcmCodec(loadCodecKeys(env));
}

test('a payload round-trips; the encrypted form has only the encoding and key id in clear, a fresh IV each time', async () => {
  const c = codec({ STEP_HRL_CODEC_KEY_ID: 'k1', STEP_HRL_CODEC_KEY: key() });
  const plain = defaultPayloadConverter.toPayload({ prompt: SECRET });
  const [a] = await c.encode([plain]);
  const [b] = await c.encode([plain]);
  expect(text(a.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(a.metadata![KEY_ID_METADATA])).toBe('k1');
  expect(Object.keys(a.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
  expect(text(a.data)).not.toContain('gem');
  expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  const [back] = await c.decode([a]);
  expect(defaultPayloadConverter.fromPayload(back)).toEqual({ prompt: SECRET });
  expect(text(back.metadata!.encoding)).toBe('json/plain');
});

test('one flipped bit in the ciphertext, or a swapped key id, fails authentication with a clear error', async () => {
  const [k1, k2] = [key(), key()];
  const c = codec({ STEP_HRL_CODEC_KEY_ID: 'k2', STEP_HRL_CODEC_KEY: k2, STEP_HRL_CODEC_KEYS: `k1:${k1}` });
  const [enc] = await c.encode([defaultPayloadConverter.toPayload(SECRET)]);
  const data = Buffer.from(enc.data!);
  data[20] ^= 1;
  await expect(c.decode([{ ...enc, data }])).rejects.toThrow(
    /key id "k2"\) failed authentication: it was altered, or the key configured for "k2" is not the one/,
  );
  const relabelled: Payload = { ...enc, metadata: { ...enc.metadata, [KEY_ID_METADATA]: Buffer.from('k1') } };
  await expect(c.decode([relabelled])).rejects.toBeInstanceOf(PayloadDecryptionError);
});

test('rotation: new payloads use the new id; payloads of the old key decode while it is listed, and fail naming it when not', async () => {
  const [oldKey, newKey] = [key(), key()];
  const before = codec({ STEP_HRL_CODEC_KEY_ID: '2026-01', STEP_HRL_CODEC_KEY: oldKey });
  const [old] = await before.encode([defaultPayloadConverter.toPayload('old record')]);
  const after = codec({
    STEP_HRL_CODEC_KEY_ID: '2026-06',
    STEP_HRL_CODEC_KEY: newKey,
    STEP_HRL_CODEC_KEYS: `2026-01:${oldKey}`,
  });
  const [fresh] = await after.encode([defaultPayloadConverter.toPayload('new record')]);
  expect(text(fresh.metadata![KEY_ID_METADATA])).toBe('2026-06');
  const decoded = await after.decode([old, fresh]);
  expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['old record', 'new record']);

  const forgot = codec({ STEP_HRL_CODEC_KEY_ID: '2026-06', STEP_HRL_CODEC_KEY: newKey });
  const err = await forgot.decode([old]).catch((e: unknown) => e as Error);
  expect(err).toBeInstanceOf(PayloadDecryptionError);
  expect((err as Error).message).toMatch(
    /key id "2026-01", which is not configured \(this process has key ids "2026-06"\)/,
  );
  expect((err as Error).message).toMatch(/STEP_HRL_CODEC_KEYS/);
  expect((err as Error).message).not.toContain(newKey);
});

test('no key: payloads pass through, and an encrypted one is reported with its key id (not "Unknown encoding")', async () => {
  const off = codec({});
  expect(off.encrypting).toBe(false);
  const plain = defaultPayloadConverter.toPayload(SECRET);
  expect(await off.encode([plain])).toEqual([plain]);
  const [enc] = await codec({ STEP_HRL_CODEC_KEY_ID: 'prod', STEP_HRL_CODEC_KEY: key() }).encode([plain]);
  expect(isEncrypted(enc)).toBe(true);
  await expect(off.decode([enc])).rejects.toThrow(
    /key id "prod", which is not configured \(no key is set\); set STEP_HRL_CODEC_KEY_ID=prod/,
  );
  const noId: Payload = { metadata: { encoding: enc.metadata!.encoding }, data: enc.data };
  await expect(off.decode([noId])).rejects.toThrow(/no encryption-key-id in its metadata/);
});

test.each([
  [
    { STEP_HRL_CODEC_KEY_ID: 'a', STEP_HRL_CODEC_KEY: 'not base64!' },
    /STEP_HRL_CODEC_KEY is not base64; make one with `openssl rand -base64 32`/,
  ],
  [
    { STEP_HRL_CODEC_KEY_ID: 'a', STEP_HRL_CODEC_KEY: randomBytes(16).toString('base64') },
    /STEP_HRL_CODEC_KEY is 16 bytes, AES-256 needs 32 bytes .*openssl rand -base64 32/,
  ],
  [
    { STEP_HRL_CODEC_KEY: randomBytes(32).toString('base64') },
    /STEP_HRL_CODEC_KEY is set without STEP_HRL_CODEC_KEY_ID/,
  ],
  [
    { STEP_HRL_CODEC_KEY_ID: 'a' },
    /STEP_HRL_CODEC_KEY_ID is set without STEP_HRL_CODEC_KEY; .*openssl rand -base64 32/,
  ],
  [
    { STEP_HRL_CODEC_KEY_ID: 'a b', STEP_HRL_CODEC_KEY: randomBytes(32).toString('base64') },
    /STEP_HRL_CODEC_KEY_ID: key id "a b" is not valid/,
  ],
  [
    { STEP_HRL_CODEC_KEY_ID: 'a', STEP_HRL_CODEC_KEY: randomBytes(32).toString('base64'), STEP_HRL_CODEC_KEYS: 'old' },
    /STEP_HRL_CODEC_KEYS entry 1 is not `<key id>:<base64 key>`/,
  ],
  [
    {
      STEP_HRL_CODEC_KEY_ID: 'a',
      STEP_HRL_CODEC_KEY: randomBytes(32).toString('base64'),
      STEP_HRL_CODEC_KEYS: 'old:abcd',
    },
    /STEP_HRL_CODEC_KEYS entry 1 \(key id "old"\) is 3 bytes/,
  ],
  [
    { STEP_HRL_CODEC_KEYS: `old:${randomBytes(32).toString('base64')}` },
    /no key encrypts new payloads; set STEP_HRL_CODEC_KEY_ID and STEP_HRL_CODEC_KEY/,
  ],
])('bad key configuration %# fails naming the variable and the fix', (env, message) => {
  let err: unknown;
  try {
    loadCodecKeys(env);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CodecKeyConfigError);
  expect((err as Error).message).toMatch(message);
  for (const value of Object.values(env).filter((v) => v.length > 8))
    expect((err as Error).message).not.toContain(value);
});

test('a re-used key id with a different key is refused', () => {
  expect(() =>
    loadCodecKeys({ STEP_HRL_CODEC_KEY_ID: 'a', STEP_HRL_CODEC_KEY: key(), STEP_HRL_CODEC_KEYS: `a:${key()}` }),
  ).toThrow(/lists key id "a" with a different key than STEP_HRL_CODEC_KEY/);
});

test('decodeHistoryPayloads decrypts payloads anywhere in a history (lists, maps, failures) in place', async () => {
  const c = codec({ STEP_HRL_CODEC_KEY_ID: 'k', STEP_HRL_CODEC_KEY: key() });
  const [input, memo, detail] = await c.encode(
    ['in', 'memo', 'detail'].map((v) => defaultPayloadConverter.toPayload(v)),
  );
  const history: temporal.api.history.v1.IHistory = {
    events: [
      { workflowExecutionStartedEventAttributes: { input: { payloads: [input] }, memo: { fields: { m: memo } } } },
      {
        workflowTaskFailedEventAttributes: {
          failure: { applicationFailureInfo: { details: { payloads: [detail] } } },
        },
      },
    ],
  };
  await decodeHistoryPayloads(history, [c]);
  const started = history.events![0].workflowExecutionStartedEventAttributes!;
  expect(defaultPayloadConverter.fromPayload(started.input!.payloads![0])).toBe('in');
  expect(defaultPayloadConverter.fromPayload(started.memo!.fields!.m)).toBe('memo');
  const failure = history.events![1].workflowTaskFailedEventAttributes!.failure!;
  expect(defaultPayloadConverter.fromPayload(failure.applicationFailureInfo!.details!.payloads![0])).toBe('detail');
});

test('dataConverterFromEnv encodes failure messages and stack traces only when a key encrypts', () => {
  expect(dataConverterFromEnv({}).failureConverterPath).toBeUndefined();
  expect(dataConverterFromEnv({ STEP_HRL_CODEC_KEY_ID: 'k', STEP_HRL_CODEC_KEY: key() }).failureConverterPath).toBe(
    ENCRYPTED_FAILURE_CONVERTER_PATH,
  );
  expect(ENCRYPTED_FAILURE_CONVERTER_PATH).toBe(require.resolve('../../../src/codec/failure-converter'));
});

test('decodeHistoryPayloads puts encoded failure messages and stack traces back, causes included', async () => {
  const c = codec({ STEP_HRL_CODEC_KEY_ID: 'k', STEP_HRL_CODEC_KEY: key() });
  // What a worker with the key writes: the failure and its cause, each with its message encoded.
  const plainFailure = failureConverter.errorToFailure(
    ApplicationFailure.create({ message: SECRET, cause: new Error('provider said: 401 bad key') }),
    defaultPayloadConverter,
  );
  expect(plainFailure.message).toBe('Encoded failure');
  expect(plainFailure.cause?.message).toBe('Encoded failure');
  const [attrs, causeAttrs] = await c.encode([plainFailure.encodedAttributes!, plainFailure.cause!.encodedAttributes!]);
  const sealed = {
    ...plainFailure,
    encodedAttributes: attrs,
    cause: { ...plainFailure.cause, encodedAttributes: causeAttrs },
  };
  expect(text(attrs.data)).not.toContain('gem');
  const history: temporal.api.history.v1.IHistory = {
    events: [{ workflowExecutionFailedEventAttributes: { failure: sealed } }],
  };
  await decodeHistoryPayloads(history, [c]);
  const failure = history.events![0].workflowExecutionFailedEventAttributes!.failure!;
  expect(failure.message).toBe(SECRET);
  expect(failure.stackTrace).toContain(SECRET); // the stack repeats the message: why it is encoded too
  expect(failure.encodedAttributes).toBeNull();
  expect(failure.cause?.message).toBe('provider said: 401 bad key');
  // A failure written without encoding, or with attributes that are not the SDK's, is left as it is.
  const other: temporal.api.history.v1.IHistory = {
    events: [
      { activityTaskFailedEventAttributes: { failure: { message: 'plain' } } },
      {
        workflowExecutionFailedEventAttributes: {
          failure: { message: 'kept', encodedAttributes: defaultPayloadConverter.toPayload('not an object') },
        },
      },
    ],
  };
  await decodeHistoryPayloads(other, []);
  expect(other.events![0].activityTaskFailedEventAttributes!.failure!.message).toBe('plain');
  expect(other.events![1].workflowExecutionFailedEventAttributes!.failure!.message).toBe('kept');
});
