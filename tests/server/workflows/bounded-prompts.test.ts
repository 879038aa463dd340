/**
 * The product's promise: STEP-HRL prompts stay bounded however long the episode runs (here 200
 * steps), while the full-history ReAct baseline's prompt grows with every step — measured on the
 * same runtime, activities and env.
 */
import { fetchTransitions, startEpisode, startReact } from '../../../src/client';
import type { EnvSpec } from '../../../src/envs/text-env';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { loopingPolicyRules } from '../../support/looping-policy';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 1, options: { maxSteps: 1000 } };

test('the low-level and progress prompts at step 200 are no larger than at step 10, beyond the observation', async () => {
  const taskQueue = queueFor('bounded');
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(loopingPolicyRules(10));
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, maxSteps: 200 } })).result(),
  );
  expect(result.steps).toBe(200);
  expect(result.status).toBe('step-budget');
  const transitions = await fetchTransitions(t.client, episodeId);
  expect(transitions).toHaveLength(200);
  const overhead = (i: number) => transitions[i].low.promptChars - transitions[i].observation.length;
  expect(transitions[199].low.promptChars).toBeLessThanOrEqual(
    transitions[9].low.promptChars +
      Math.max(0, transitions[199].observation.length - transitions[9].observation.length),
  );
  expect(overhead(199)).toBeLessThanOrEqual(overhead(9));
  const progressOverhead = (i: number) => transitions[i].progress!.promptChars - transitions[i].nextObservation.length;
  expect(progressOverhead(198)).toBeLessThanOrEqual(progressOverhead(9) + 2); // "Looked 9" vs "Looked 10" digits
  // No prompt ever contains the episode's history: the first action's observation is not re-sent later.
  const lowPrompts = llm.requests
    .filter((r) => r.role === 'low')
    .map((r) => r.messages!.map((m) => m.content).join('\n'));
  expect(lowPrompts.at(-1)!.length).toBeLessThan(lowPrompts[0].length + 200);
});

test('the ReAct baseline prompt grows with every step', async () => {
  const taskQueue = queueFor('react');
  const llm = new ScriptedLlmClient(loopingPolicyRules(10));
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (
      await startReact(t.client, { episodeId: `react-${taskQueue}`, taskQueue, config: { spec, maxSteps: 60 } })
    ).result(),
  );
  expect(result.steps).toHaveLength(60);
  for (let i = 1; i < result.steps.length; i++) {
    expect(result.steps[i].promptChars).toBeGreaterThan(result.steps[i - 1].promptChars);
  }
  expect(result.steps[59].promptChars).toBeGreaterThan(10 * result.steps[0].promptChars);
});
