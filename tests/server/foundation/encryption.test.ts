/**
 * Encryption at rest (issue 11 item 7) on the real dev server: with the codec on, the raw history
 * the server stores (read with the Temporal CLI) holds no prompt text, while a run without it
 * does; `show` fails with one clear line without the key and shows the steps with it; the codec
 * server decrypts a payload of that raw history over HTTP, for the bearer token only. Failure
 * messages (a workflow's, an activity's) are encrypted too, and step-hrl's own readers still see
 * them (issue 20 item 5).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { archivedRun, archiveHistories } from '../../../src/archive/read';
import { writeArchive } from '../../../src/archive/write';
import { writeExport } from '../../../src/cli/export-records';
import { startEpisode, startEpisodeRerun } from '../../../src/client';
import { dataConverterFromEnv, fetchDecodedHistory } from '../../../src/codec';
import { liveHistories } from '../../../src/history-source';
import { LlmError, type LlmClient } from '../../../src/llm/types';
import { collectHistories } from '../../../src/replay/collect';
import { replayRecorded } from '../../../src/replay/replay';
import { temporalCliPath } from '../../../src/server/temporal-cli';
import { bundleWorkflows, createStepHrlWorker } from '../../../src/worker';
import { subtaskWorkflowId } from '../../../src/episode/ids';
import { connectTestTemporal, queueFor, sharedBundle, testAddress, withWorker } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli, spawnCli } from '../../support/cli-harness';

/** Part of the builtin task's description: it is in every prompt and observation of the episode. */
const PHRASE = 'the brass key is hidden somewhere in the house';
const KEY_ENV = { STEP_HRL_CODEC_KEY_ID: 'test-key-1', STEP_HRL_CODEC_KEY: randomBytes(32).toString('base64') };
const stamp = `${process.pid}-${Date.now()}`;
/** The codec server's bearer token (STEP_HRL_CODEC_SERVER_TOKEN). */
const SERVER_TOKEN = randomBytes(32).toString('hex');
const RUN = ['run', '--llm', 'expert', '--env', 'builtin', '--task', 'find-key-open-chest', '--variation', '4'];

interface JsonPayload {
  metadata: Record<string, string>;
  data?: string;
}

/**
 * The raw histories (episode + each subtask child) as `temporal workflow show --output json` prints
 * them; through a codec server when `codecEndpoint` is given (the CLI's `--codec-endpoint`).
 */
function rawHistories(episodeId: string, codecEndpoint?: string): unknown[] {
  const codec = codecEndpoint ? ['--codec-endpoint', codecEndpoint, '--codec-auth', `Bearer ${SERVER_TOKEN}`] : [];
  const args = ['--address', testAddress(), '--output', 'json', ...codec];
  const show = (id: string): unknown =>
    JSON.parse(
      execFileSync(temporalCliPath(), ['workflow', 'show', '-w', id, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  const histories = [show(episodeId)];
  for (let index = 0; ; index++) {
    try {
      histories.push(show(subtaskWorkflowId(episodeId, index, 0)));
    } catch {
      return histories; // no such child: the episode had `index` subtasks
    }
  }
}

/** Every payload in a JSON history. */
function payloadsOf(node: unknown, out: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(node)) node.forEach((n) => payloadsOf(n, out));
  else if (typeof node === 'object' && node !== null) {
    const candidate = node as Partial<JsonPayload>;
    if (typeof candidate.metadata === 'object' && typeof candidate.metadata?.encoding === 'string')
      out.push(candidate as JsonPayload);
    else Object.values(node).forEach((n) => payloadsOf(n, out));
  }
  return out;
}

const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');
/** What anyone who can read the server's store sees: the history JSON plus every payload's data, base64-decoded. */
const readableText = (histories: unknown[]): string =>
  JSON.stringify(histories) +
  histories
    .flatMap((h) => payloadsOf(h))
    .map((p) => b64(p.data))
    .join('\n');

const env = (extra: Record<string, string> = {}) => cleanEnv({ TEMPORAL_ADDRESS: testAddress(), ...extra });

let plainId: string;
let encryptedId: string;

beforeAll(async () => {
  ensureBuilt();
  plainId = `codec-plain-${stamp}`;
  encryptedId = `codec-enc-${stamp}`;
  const plain = await runCli([...RUN, '--episode-id', plainId], env(), 120_000);
  expect({ code: plain.code, stderr: plain.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const encrypted = await runCli([...RUN, '--episode-id', encryptedId], env(KEY_ENV), 120_000);
  expect({ code: encrypted.code, stderr: encrypted.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
}, 300_000);

test('with the codec on, the raw history on the server holds no prompt text; without it, it does', () => {
  const plain = rawHistories(plainId);
  expect(plain.length).toBeGreaterThan(2);
  expect(readableText(plain)).toContain(PHRASE);

  const encrypted = rawHistories(encryptedId);
  expect(encrypted.length).toBe(plain.length);
  expect(readableText(encrypted)).not.toContain(PHRASE);
  expect(readableText(encrypted)).not.toContain('brass key');
  const payloads = encrypted.flatMap((h) => payloadsOf(h));
  const encodings = new Set(payloads.map((p) => b64(p.metadata.encoding)));
  expect(encodings).toContain('binary/encrypted');
  // Only search attributes stay plain (the server must index them); every input/result is encrypted.
  const encryptedCount = payloads.filter((p) => b64(p.metadata.encoding) === 'binary/encrypted').length;
  expect(encryptedCount).toBeGreaterThan(20);
  expect(JSON.stringify(encrypted)).not.toContain(KEY_ENV.STEP_HRL_CODEC_KEY);
});

test('`show` without the key exits 1 with one clear line; with the key it shows the steps', async () => {
  const without = await runCli(['show', encryptedId], env(), 60_000);
  expect(without.code).toBe(1);
  const errorLines = without.stderr.split('\n').filter((l) => l.trim());
  expect(errorLines).toEqual([
    expect.stringMatching(
      /^Error: payload encrypted with key id "test-key-1", which is not configured .*STEP_HRL_CODEC_KEY_ID=test-key-1/,
    ),
  ]);

  const withKey = await runCli(['show', encryptedId], env(KEY_ENV), 60_000);
  expect({ code: withKey.code, stderr: withKey.stderr }).toEqual({ code: 0, stderr: '' });
  expect(withKey.stdout).toMatch(/take gem from chest/);
  expect(withKey.stdout).toMatch(/Find the brass key/);

  const exported = await runCli(['export', encryptedId], env(KEY_ENV), 60_000);
  expect(exported.code).toBe(0);
  // The hash-chained export: header, records (8 steps and their subtasks' high-level transitions), end.
  const exportedRecords = exported.stdout.trim().split('\n').slice(1, -1);
  expect(
    exportedRecords.filter((l) => (JSON.parse(l) as { record: { stepIndex?: number } }).record.stepIndex !== undefined),
  ).toHaveLength(8);
  const exportWithout = await runCli(['export', encryptedId], env(), 60_000);
  expect(exportWithout.code).toBe(1);
  expect(exportWithout.stderr).toMatch(/^Error: payload encrypted with key id "test-key-1"/);
});

test('`show` of an episode whose memo is encrypted names the missing key (not "no episode")', async () => {
  const t = await connectTestTemporal({ dataConverter: dataConverterFromEnv(KEY_ENV) });
  try {
    // a re-run carries a memo (rerunOf); nothing polls its queue, only its description matters
    const handle = await startEpisodeRerun(t.client, {
      episodeId: encryptedId,
      taskQueue: queueFor('codec-memo'),
      config: { spec: { env: 'builtin', task: 'find-key-open-chest', variation: 4 } },
    });
    try {
      const shown = await runCli(['show', handle.workflowId], env(), 60_000);
      expect(shown.code).toBe(1);
      expect(shown.stderr.trim()).toMatch(
        /^Error: payload encrypted with key id "test-key-1", which is not configured/,
      );
    } finally {
      await handle.terminate('test done');
    }
  } finally {
    await t.close();
  }
});

test('the codec server decrypts payloads of the raw history over HTTP for the token (with CORS for the UI)', async () => {
  const server = spawnCli(
    ['codec-server', '--port', '0', '--cors-origin', 'http://localhost:8233'],
    env({ ...KEY_ENV, STEP_HRL_CODEC_SERVER_TOKEN: SERVER_TOKEN }),
  );
  const auth = { Authorization: `Bearer ${SERVER_TOKEN}` };
  try {
    await server.waitForOutput(/codec server at http:\/\/\S+/, 30_000);
    const url = /codec server at (http:\/\/\S+)/.exec(server.output())![1];
    const encrypted = rawHistories(encryptedId).flatMap((h) => payloadsOf(h));
    const sealed = encrypted.filter((p) => b64(p.metadata.encoding) === 'binary/encrypted');

    const refused = await fetch(`${url}/decode`, { method: 'POST', body: JSON.stringify({ payloads: sealed }) });
    expect(refused.status).toBe(401);
    const response = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Namespace': 'default',
        Origin: 'http://localhost:8233',
        ...auth,
      },
      body: JSON.stringify({ payloads: sealed }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const decoded = ((await response.json()) as { payloads: JsonPayload[] }).payloads;
    expect(decoded).toHaveLength(sealed.length);
    const decodedEncodings = new Set(decoded.map((p) => b64(p.metadata.encoding)));
    expect([...decodedEncodings].sort()).toEqual(['binary/null', 'json/plain']); // void results are binary/null
    expect(decoded.map((p) => b64(p.data)).join('\n')).toContain(PHRASE);

    // The Temporal CLI, a real codec-server client, reads the history decrypted through it.
    expect(readableText(rawHistories(encryptedId, url))).toContain(PHRASE);

    const preflight = await fetch(`${url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);

    // encode then decode round-trips through the server too (the UI encodes what it sends, e.g. signals)
    const plainPayload = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('"hi"').toString('base64'),
    };
    const enc = (await (
      await fetch(`${url}/encode`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ payloads: [plainPayload] }),
      })
    ).json()) as { payloads: JsonPayload[] };
    expect(b64(enc.payloads[0].metadata['encryption-key-id'])).toBe('test-key-1');
    const bad = await fetch(`${url}/decode`, { method: 'POST', headers: auth, body: 'not json' });
    expect(bad.status).toBe(400);
  } finally {
    server.child.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
  }
  expect(server.output()).not.toContain(KEY_ENV.STEP_HRL_CODEC_KEY);
  expect(server.output()).not.toContain(SERVER_TOKEN);
});

test('a bad key fails the command at once, naming the variable and the fix', async () => {
  const bad = await runCli(
    ['show', encryptedId],
    env({ STEP_HRL_CODEC_KEY_ID: 'x', STEP_HRL_CODEC_KEY: 'c2hvcnQ=' }),
    60_000,
  );
  expect(bad.code).toBe(1);
  expect(bad.stderr.trim()).toMatch(
    /^Error: STEP_HRL_CODEC_KEY is 5 bytes, AES-256 needs 32 bytes .*openssl rand -base64 32`$/,
  );
  const noKey = await runCli(['codec-server', '--port', '0'], env(), 30_000);
  expect(noKey.code).toBe(1);
  expect(noKey.stderr.trim()).toMatch(
    /^Error: no encryption key is set; set STEP_HRL_CODEC_KEY_ID and STEP_HRL_CODEC_KEY/,
  );
  const noToken = await runCli(['codec-server', '--port', '0'], env(KEY_ENV), 30_000);
  expect(noToken.code).toBe(1);
  expect(noToken.stderr.trim()).toMatch(
    /^Error: the codec server needs a bearer token: set STEP_HRL_CODEC_SERVER_TOKEN \(make one with `openssl rand -hex 32`\) or pass --token-file <file>; --insecure-no-auth serves without one/,
  );
});

/** A marker that only a failure message carries: it must never be readable on the server. */
const FAIL_MARKER = `leaky-config-${randomBytes(6).toString('hex')}`;
const LLM_MARKER = `provider-body-${randomBytes(6).toString('hex')}`;

/** Every `message` string in a (decoded) history: failure messages, causes included. */
function messagesIn(node: unknown, out: string[] = []): string[] {
  if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) return out;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'message' && typeof value === 'string') out.push(value);
    else messagesIn(value, out);
  }
  return out;
}

test('failure messages are encrypted on the server; show, the decoded history, archive and replay see them', async () => {
  const keyed = dataConverterFromEnv(KEY_ENV);
  const t = await connectTestTemporal({ dataConverter: keyed });
  const taskQueue = queueFor('codec-failures');
  const configFailId = `codec-fail-config-${stamp}`;
  const llmFailId = `codec-fail-llm-${stamp}`;
  // The model endpoint answers an error whose body would be recorded as the activity's failure message.
  const llm: LlmClient = {
    modelId: 'failing',
    complete: () => Promise.reject(new LlmError(`endpoint said 400: ${LLM_MARKER}`, false)),
  };
  try {
    // A worker with the key needs a bundle built for its data converter (workflow failures are converted in it).
    await expect(
      createStepHrlWorker({
        connection: t.nativeConnection,
        namespace: 'default',
        taskQueue,
        llm,
        envFactory: () => {
          throw new Error('unused');
        },
        dataConverter: keyed,
        workflowBundle: await sharedBundle(),
      }),
    ).rejects.toThrow(/bundle was built without the encrypting failure converter.*bundleWorkflows\(dataConverter\)/);

    const workflowBundle = await bundleWorkflows(keyed);
    const [configFailure, llmResult] = await withWorker(
      t,
      { taskQueue, llm, dataConverter: keyed, workflowBundle },
      () =>
        Promise.all([
          startEpisode(t.client, {
            episodeId: configFailId,
            taskQueue,
            config: { spec: { env: 'builtin', task: 'find-key-open-chest', variation: 4 }, obs: FAIL_MARKER as never },
          }).then((h) =>
            h.result().then(
              () => undefined,
              (err: unknown) => err as Error,
            ),
          ),
          startEpisode(t.client, {
            episodeId: llmFailId,
            taskQueue,
            config: { spec: { env: 'builtin', task: 'find-key-open-chest', variation: 4 } },
          }).then((h) => h.result()),
        ]),
    );
    // The client gets the real messages back (the SDK decodes the encoded attributes).
    expect((configFailure as Error & { cause?: Error }).cause?.message).toMatch(
      new RegExp(`^invalid episode config: obs must be one of .*${FAIL_MARKER}`),
    );
    // ... and so did the workflow, which recorded the activity's failure message in its (encrypted) result.
    expect(llmResult).toMatchObject({ status: 'llm-error', error: expect.stringContaining(LLM_MARKER) });

    // What `temporal workflow show` (and anyone reading the server's store) sees: no message in clear.
    for (const [id, marker] of [
      [configFailId, FAIL_MARKER],
      [llmFailId, LLM_MARKER],
    ]) {
      const raw = rawHistories(id);
      expect(readableText(raw)).not.toContain(marker);
      expect(JSON.stringify(raw)).toContain('Encoded failure');
    }

    // step-hrl's own readers decode them back.
    const decoded = await fetchDecodedHistory(t.client, configFailId);
    const failed = decoded.events!.at(-1)!.workflowExecutionFailedEventAttributes!.failure!;
    expect(failed.message).toContain(FAIL_MARKER);
    expect(failed.stackTrace).toMatch(new RegExp(`^ApplicationFailure: invalid episode config: .*${FAIL_MARKER}`)); // the stack repeats the message
    expect(failed.encodedAttributes ?? undefined).toBeUndefined();
    const llmHistories = (await collectHistories(liveHistories(t.client), llmFailId)).histories;
    const llmMessages = llmHistories.flatMap((h) => messagesIn(h.history));
    expect(llmMessages.some((m) => m.includes(LLM_MARKER))).toBe(true);
    expect(llmMessages).not.toContain('Encoded failure');

    const shown = await runCli(['show', configFailId], env(KEY_ENV), 60_000);
    expect({ code: shown.code, stderr: shown.stderr }).toEqual({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(new RegExp(`failed: InvalidEpisodeConfig: invalid episode config: .*${FAIL_MARKER}`));
    const shownLlm = await runCli(['show', llmFailId], env(KEY_ENV), 60_000);
    expect(shownLlm.stdout).toContain(LLM_MARKER);

    // An archive holds the decoded record, real messages included; both histories replay.
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'step-hrl-codec-archive-')), 'bundle');
    await writeArchive(liveHistories(t.client), configFailId, dir, {
      writeExport: (source, ids, write) => writeExport(source, ids, write, { namespace: 'default', skipMissing: true }),
    });
    expect((await archivedRun(archiveHistories(dir), configFailId))?.failure).toContain(FAIL_MARKER);
    const recorded = [...(await collectHistories(liveHistories(t.client), configFailId)).histories, ...llmHistories];
    const replayed = await replayRecorded(recorded, await sharedBundle());
    expect(replayed.results.filter((r) => !r.ok)).toEqual([]);
  } finally {
    await t.close();
  }
});
