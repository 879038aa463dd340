/**
 * Pins "the scripted expert wins every gold path through the STEP-HRL loop" on real ScienceWorld
 * (one env server for the file, real Temporal, episode + subtask workflows): test-conductivity
 * variation 0, and use-thermometer variation 0, whose gold path leaves the kitchen through the
 * hallway and comes back, so its plan repeats subtasks ("open door to hallway", "go to hallway").
 */
import { fetchSubtaskOutcomes, startEpisode } from '../../../src/client';
import { createHttpTextEnv } from '../../../src/envs/http-text-env';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPlan } from '../../../src/llm/expert-plan';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { useEnvServer } from '../../support/env-server-fixture';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

const server = useEnvServer();
let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const CASES: { spec: EnvSpec; profile: 'chat' | 'paper'; repeats: boolean }[] = [
  { spec: { env: 'scienceworld', task: 'test-conductivity', variation: 0 }, profile: 'chat', repeats: false },
  { spec: { env: 'scienceworld', task: 'use-thermometer', variation: 0 }, profile: 'paper', repeats: true },
];

describe.each(CASES)('scripted expert on ScienceWorld', ({ spec, profile, repeats }) => {
  test(`${spec.task} variation ${spec.variation} (${profile} profile) follows the gold path to score 100`, async () => {
    const plan = await expertPlan(spec, async () => server.url);
    const texts = plan.map((p) => p.subtask);
    expect(new Set(texts).size < texts.length).toBe(repeats);

    const llm = new ScriptedLlmClient(expertPolicyRules(plan, profile));
    const taskQueue = queueFor(`expert-gold-${spec.task}-${profile}`);
    const episodeId = `ep-${taskQueue}`;
    const envFactory = (s: EnvSpec) => createHttpTextEnv(s.env as 'scienceworld', { url: server.url });
    const result = await withWorker(t, { taskQueue, llm, envFactory }, async () => {
      const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec, profile, maxSteps: 100 } });
      try {
        return await handle.result();
      } catch (err) {
        await handle.terminate('test failed').catch(() => undefined);
        throw err;
      }
    });

    expect(result).toMatchObject({ status: 'env-done', won: true, score: 100 });
    expect(result.subtasks).toEqual(texts);
    const outcomes = await fetchSubtaskOutcomes(t.client, episodeId);
    // The gold path, up to the step that wins (some paths end with a spare "wait1").
    const taken = outcomes.flatMap((o) => o.transitions.map((tr) => tr.action));
    expect(taken).toEqual(plan.flatMap((p) => p.actions).slice(0, taken.length));
    expect(taken.length).toBe(result.steps);
  }, 300_000);
});
