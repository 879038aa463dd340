/**
 * A worker that cannot decrypt an episode's payloads (started by a client holding a key the worker
 * lacks) stops with the key id to configure, instead of failing the episode's workflow task over
 * and over; the episode is left running, waiting for a worker that has the key.
 */
import { randomBytes } from 'node:crypto';
import { startEpisode } from '../../../src/client';
import { dataConverterFromEnv } from '../../../src/codec';
import type { LlmClient } from '../../../src/llm/types';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

const KEY_ENV = { STEP_HRL_CODEC_KEY_ID: 'worker-test', STEP_HRL_CODEC_KEY: randomBytes(32).toString('base64') };

/** Never reached: the worker stops before the workflow asks for a decision. */
const unusedLlm: LlmClient = {
  modelId: 'unused',
  complete: () => Promise.reject(new Error('the LLM must not be called')),
};

let keyed: TestTemporal;
let keyless: TestTemporal;
beforeAll(async () => {
  keyed = await connectTestTemporal({ dataConverter: dataConverterFromEnv(KEY_ENV) });
  keyless = await connectTestTemporal();
});
afterAll(async () => {
  await keyed?.close();
  await keyless?.close();
});

test('a worker without the key stops with a clear error; the episode stays running for a keyed worker', async () => {
  const taskQueue = queueFor('encrypted-worker');
  const handle = await startEpisode(keyed.client, {
    episodeId: `ep-${taskQueue}`,
    taskQueue,
    config: { spec: { env: 'builtin', task: 'boil-water', variation: 0 } },
  });
  try {
    const stopped = await withWorker(
      keyless,
      { taskQueue, llm: unusedLlm, dataConverter: dataConverterFromEnv({}) },
      () => handle.result(),
    ).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(stopped?.message).toMatch(
      /^worker stopped: payload encrypted with key id "worker-test", which is not configured \(no key is set\); set STEP_HRL_CODEC_KEY_ID=worker-test/,
    );
    expect(stopped?.message).not.toContain(KEY_ENV.STEP_HRL_CODEC_KEY);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  } finally {
    await handle.terminate('test done');
  }
});
