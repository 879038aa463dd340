/**
 * A cancel while the model endpoint is down: the progress call after a step (which used to run
 * non-cancellable, with the whole 30-minute outage budget) no longer holds the cancel. The episode
 * ends `cancelled` within seconds, with the applied step recorded and its progress unchanged.
 */
import { goldSubtasks } from '../../../src/envs/builtin';
import { ExpertRouterClient } from '../../../src/llm/expert-router';
import { LlmError, type CallOptions, type LlmClient, type LlmRequest } from '../../../src/llm/types';
import type { EpisodeResult } from '../../../src/episode/records';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

/** The expert for the high and low levels; every progress call fails as a 503 would (retryable). */
function progressOutage(spec: { env: 'builtin'; task: string; variation: number }) {
  const expert = new ExpertRouterClient({ specOf: () => spec, planOf: async (s) => goldSubtasks(s), profile: 'chat' });
  let progressAttempts = 0;
  const client: LlmClient = {
    modelId: expert.modelId,
    async complete(request: LlmRequest, options?: CallOptions) {
      if (request.role === 'progress') {
        progressAttempts += 1;
        throw new LlmError('503 Service Unavailable (test outage)', true);
      }
      return expert.complete(request, options);
    },
  };
  return { client, attempts: () => progressAttempts };
}

test('a cancel during an LLM outage in the progress call returns within seconds and keeps the step', async () => {
  const taskQueue = queueFor('cancel-llm-outage');
  const workflowId = `cancel-llm-outage-${taskQueue}`;
  const spec = { env: 'builtin' as const, task: 'boil-water', variation: 0 };
  const llm = progressOutage(spec);
  const { result, waitedMs } = await withWorker(t, { taskQueue, llm: llm.client }, async () => {
    const handle = await t.client.workflow.start('episodeWorkflow', {
      workflowId,
      taskQueue,
      args: [{ config: { spec, maxSteps: 20, llmOutageBudgetSeconds: 1800 } }],
    });
    while (llm.attempts() < 2) await new Promise((r) => setTimeout(r, 100)); // the outage is on, retrying
    const cancelledAt = Date.now();
    await handle.cancel();
    const ended: EpisodeResult = await handle.result();
    return { result: ended, waitedMs: Date.now() - cancelledAt };
  });
  expect(result.status).toBe('cancelled');
  expect(result.steps).toBe(1); // the step applied before the outage is recorded
  // The 30-minute budget would hold the old code here; a minute is far on the safe side of both.
  expect(waitedMs).toBeLessThan(60_000);
}, 180_000);
