/**
 * Load is not failure: many concurrent episodes on one worker whose env slots are far fewer than
 * the episodes (env activities wait in the pinned queue far longer than its schedule-to-start
 * timeout) and a slow serial LLM. Every episode completes with 0 re-drives: a schedule-to-start
 * timeout is answered by a liveness ping (the worker is alive, just busy), never by a re-drive.
 * The 128-episode version with a real env server lives in bench/.
 */
import type { EnvCounters, EnvFactory } from '../../../src/activities';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { BuiltinTextEnv } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import type { LlmClient } from '../../../src/llm/types';
import { subtaskWorkflowId } from '../../../src/episode/ids';
import { loopingPolicyRules } from '../../support/looping-policy';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const EPISODES = 32;
const STEPS = 6;
const ENV_LATENCY_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The built-in env, each reset and step taking `ENV_LATENCY_MS` (a real simulator's pace). */
const slowEnv: EnvFactory = () => {
  const inner = new BuiltinTextEnv();
  return {
    reset: async (spec) => (await sleep(ENV_LATENCY_MS), inner.reset(spec)),
    step: async (action) => (await sleep(ENV_LATENCY_MS), inner.step(action)),
    versions: () => inner.versions(),
    close: () => inner.close(),
  };
};

/** A serial model: one call at a time, each taking a while (as the embedded model does). */
function serialSlowLlm(): LlmClient {
  const scripted = new ScriptedLlmClient(loopingPolicyRules(3));
  let queue: Promise<unknown> = Promise.resolve();
  return {
    modelId: scripted.modelId,
    complete(request) {
      const call = queue.then(async () => (await sleep(5), scripted.complete(request)));
      queue = call.catch(() => undefined);
      return call;
    },
  };
}

test(`${EPISODES} concurrent episodes on a busy worker complete with 0 re-drives`, async () => {
  const taskQueue = queueFor('load');
  const counters: EnvCounters = { applied: new Map(), redriveSteps: 0, redrives: 0 };
  const ids = [...Array(EPISODES).keys()].map((i) => `ep-${taskQueue}-${i}`);
  const results = await withWorker(
    t,
    {
      taskQueue,
      llm: serialSlowLlm(),
      envFactory: slowEnv,
      counters: { env: counters },
      maxConcurrentEnvActivities: 1, // 32 episodes share one env slot: the env queue backs up for seconds
    },
    async () => {
      const handles = await Promise.all(
        ids.map((episodeId, i) => {
          const spec: EnvSpec = { env: 'builtin', task: 'clean-plate', variation: i % 8, options: { maxSteps: 100 } };
          // A 1 s wait on the pinned queue is far shorter than the backlog: without the liveness
          // check every such wait would count as a lost session.
          return startEpisode(t.client, {
            episodeId,
            taskQueue,
            config: { spec, maxSteps: STEPS, envQueueTimeoutSeconds: 1 },
          });
        }),
      );
      return Promise.all(handles.map((h) => h.result()));
    },
  );
  expect(results.map((r) => r.status)).toEqual(ids.map(() => 'step-budget'));
  expect(results.map((r) => r.redrives)).toEqual(ids.map(() => 0));
  expect(counters.redrives).toBe(0);
  expect([...counters.applied.values()].every((n) => n === 1)).toBe(true);
  expect(counters.applied.size).toBe(EPISODES * STEPS);
  for (const id of ids) expect(await fetchTransitions(t.client, id)).toHaveLength(STEPS);

  // Not vacuous: the backlog really outlasted the schedule-to-start timeout, and the worker was pinged.
  let pings = 0;
  for (const id of ids) {
    const histories = [await t.client.workflow.getHandle(id).fetchHistory()];
    for (const index of [0, 1])
      histories.push(await t.client.workflow.getHandle(subtaskWorkflowId(id, index, 0)).fetchHistory());
    for (const h of histories)
      pings += h.events!.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'pingEnvWorker',
      ).length;
  }
  expect(pings).toBeGreaterThan(0);
}, 600_000);
