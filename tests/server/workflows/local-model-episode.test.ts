/**
 * The embedded local model (node-llama-cpp on CPU) plays a real, short ALFWorld episode end to
 * end through the STEP-HRL workflows and the env server: every high-level, low-level and progress
 * reply is grammar-constrained JSON that validates on the first try (no repair, no invalid step).
 * Runs on the tiny SmolLM2 model installed by setup, so it is about plumbing, not skill.
 */
import path from 'node:path';
import { DEFAULT_EPISODE_CONFIG } from '../../../src/agent/config';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { DEMO_GAME, DEMO_SPLIT } from '../../../src/envs/demo-game';
import { EnvProvider } from '../../../src/envs/factory';
import type { EnvSpec } from '../../../src/envs/text-env';
import { LocalLlamaClient } from '../../../src/llm/local-llama';
import { localModelsDir, TINY_LOCAL_MODEL_FILE } from '../../../src/llm/local-model-files';
import type { LlmClient, LlmRequest } from '../../../src/llm/types';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

/** Short generations keep a CPU model's episode quick; the grammar closes the JSON anyway. */
const SHORT_DECODING = Object.fromEntries(
  Object.entries(DEFAULT_EPISODE_CONFIG.decoding).map(([role, d]) => [
    role,
    { ...d, maxTokens: Math.min(d.maxTokens, 48) },
  ]),
) as typeof DEFAULT_EPISODE_CONFIG.decoding;

let t: TestTemporal;
const envs = new EnvProvider();
const local = new LocalLlamaClient({
  modelPath: process.env.STEP_HRL_TEST_MODEL_PATH ?? path.join(localModelsDir(), TINY_LOCAL_MODEL_FILE),
  log: () => undefined,
  progress: false,
});
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => {
  await local.close();
  await envs.close();
  await t?.close();
});

test('a short ALFWorld episode on the embedded model: constrained JSON every call', async () => {
  const requests: LlmRequest[] = [];
  const replies: string[] = [];
  const llm: LlmClient = {
    modelId: local.modelId,
    async complete(request) {
      requests.push(request);
      const response = await local.complete(request);
      replies.push(response.text);
      return response;
    },
  };
  const spec: EnvSpec = { env: 'alfworld', split: DEMO_SPLIT, task: DEMO_GAME };
  const taskQueue = queueFor('local-model');
  const episodeId = `ep-${taskQueue}`;
  const result = await withWorker(t, { taskQueue, llm, envFactory: envs.create }, async () =>
    (
      await startEpisode(t.client, {
        episodeId,
        taskQueue,
        config: {
          spec,
          profile: 'chat',
          maxSteps: 2,
          repairAttempts: 0,
          decoding: SHORT_DECODING,
        },
      })
    ).result(),
  );
  expect(result.steps).toBeGreaterThan(0);
  expect(result.task).toMatch(/^Your task is to: /);
  // The env package versions are recorded with the result.
  expect(result.envVersions).toMatchObject({
    alfworld: expect.stringMatching(/^0\.4\./),
    textworld: expect.any(String),
  });
  const transitions = await fetchTransitions(t.client, episodeId);
  expect(transitions).toHaveLength(result.steps);
  for (const tr of transitions) {
    expect(tr.low.model).toBe(local.modelId);
    expect(tr.invalid).toBe(false);
    expect(tr.low.repairs).toEqual([]);
    expect(tr.progress?.repairs ?? []).toEqual([]);
    expect(tr.observation).toContain('Looking quickly around you'); // the real ALFWorld room description
  }
  // Every call asked for a JSON schema and got JSON back.
  expect(requests.every((r) => r.jsonSchema !== undefined)).toBe(true);
  for (const reply of replies) expect(() => JSON.parse(reply)).not.toThrow();
  expect(result.spentTokens).toBeGreaterThan(0);
}, 600_000);
