/**
 * A model call waiting for a slot is not an outage: with one LLM slot, a slow serial model and
 * several episodes, calls wait in Temporal's queue far longer than the outage budget, and every
 * episode still completes (the budget counts backoff between failed attempts, not queue time).
 */
import { startEpisode } from '../../../src/client';
import type { EnvSpec } from '../../../src/envs/text-env';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import type { LlmClient } from '../../../src/llm/types';
import { loopingPolicyRules } from '../../support/looping-policy';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const EPISODES = 4;
const CALL_MS = 1500;
const OUTAGE_BUDGET_SECONDS = 3;
const spec: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: 2, options: { maxSteps: 1000 } };

test('calls queued behind a busy serial model longer than the outage budget are not failed', async () => {
  const taskQueue = queueFor('llm-queue');
  const scripted = new ScriptedLlmClient(loopingPolicyRules(2));
  const llm: LlmClient = {
    modelId: scripted.modelId,
    async complete(request) {
      await new Promise((r) => setTimeout(r, CALL_MS));
      return scripted.complete(request);
    },
  };
  const started = Date.now();
  const results = await withWorker(t, { taskQueue, llm, maxConcurrentLlmCalls: 1 }, async () => {
    const handles = await Promise.all(
      [...Array(EPISODES).keys()].map((i) =>
        startEpisode(t.client, {
          episodeId: `ep-${taskQueue}-${i}`,
          taskQueue,
          config: { spec, maxSteps: 3, llmOutageBudgetSeconds: OUTAGE_BUDGET_SECONDS },
        }),
      ),
    );
    return Promise.all(handles.map((h) => h.result()));
  });
  // The scenario really queued: one slot served every call in turn, well past the budget.
  expect(Date.now() - started).toBeGreaterThan(2 * OUTAGE_BUDGET_SECONDS * 1000);
  for (const result of results) {
    expect(result.status).toBe('step-budget');
    expect(result.steps).toBe(3);
    expect(result.error).toBeUndefined();
  }
});
