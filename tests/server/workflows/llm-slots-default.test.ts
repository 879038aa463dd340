/**
 * The default LLM slots feed a batching server: with more concurrent episodes than the old cap of
 * 16, a worker on default settings has every episode's first model call in flight at once (a
 * batching backend sees one batch of all of them, not 16 at a time).
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

const EPISODES = 24;
/** Only so a failing run ends: the calls are held until all are in flight or this passes. */
const GIVE_UP_MS = 30_000;
const spec: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: 0 };

test(`a default worker runs ${EPISODES} episodes' model calls at once`, async () => {
  const taskQueue = queueFor('llm-slots-default');
  const scripted = new ScriptedLlmClient(loopingPolicyRules(2));
  let inFlight = 0;
  let maxInFlight = 0;
  let releaseAll: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => (releaseAll = resolve));
  const giveUp = setTimeout(releaseAll, GIVE_UP_MS);
  const llm: LlmClient = {
    modelId: scripted.modelId,
    async complete(request) {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (inFlight >= EPISODES) releaseAll();
      await allIn;
      inFlight -= 1;
      return scripted.complete(request);
    },
  };
  try {
    const results = await withWorker(t, { taskQueue, llm }, async () => {
      const handles = await Promise.all(
        [...Array(EPISODES).keys()].map((i) =>
          startEpisode(t.client, { episodeId: `ep-${taskQueue}-${i}`, taskQueue, config: { spec, maxSteps: 1 } }),
        ),
      );
      return Promise.all(handles.map((h) => h.result()));
    });
    expect(results.map((r) => r.steps)).toEqual(Array(EPISODES).fill(1));
  } finally {
    clearTimeout(giveUp);
  }
  expect(maxInFlight).toBe(EPISODES);
});
