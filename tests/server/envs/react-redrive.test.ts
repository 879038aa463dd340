/**
 * The ReAct baseline against the real env server and a real Temporal server (issue 10 item 5), on
 * one ALFWorld valid_seen game played by the scripted expert's react role:
 * 1. an uninterrupted run wins the game with the walkthrough's actions;
 * 2. killing the env server (SIGKILL) while step K is in flight and starting a new one on the same
 *    port loses the session; the episode re-drives a fresh session through exactly the K recorded
 *    steps and finishes with the same steps (actions, raw observations, scores) as the reference,
 *    every step applied once.
 */
import type { EnvCounters, EnvFactory } from '../../../src/activities';
import { startReact } from '../../../src/client';
import { startEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';
import { getExpertActions } from '../../../src/envs/expert';
import { createHttpTextEnv } from '../../../src/envs/http-text-env';
import type { EnvSpec, StepOptions, StepResult, TextEnv } from '../../../src/envs/text-env';
import { segmentByMoves } from '../../../src/llm/expert-plan';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { freePort } from '../../../src/server/ports';
import type { ReactResult } from '../../../src/workflows/react';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

const GAME: EnvSpec = {
  env: 'alfworld',
  split: 'valid_seen',
  task: 'pick_two_obj_and_place-SprayBottle-None-GarbageCan-419/trial_T20190908_164236_518264',
};
/** The step in flight when the env server is killed. */
const K = 5;

let t: TestTemporal;
let port: number;
let server: EnvServerHandle;
let walkthrough: string[];

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

interface Run {
  episodeId: string;
  result: ReactResult;
  counters: EnvCounters;
  sessions: number;
}

/** Plays GAME with the react expert; `beforeStep` runs before each step of the first session. */
async function play(
  name: string,
  beforeStep?: (index: number) => Promise<void>,
  during?: (ended: Promise<unknown>) => Promise<void>,
): Promise<Run> {
  const counters: EnvCounters = { applied: new Map(), redriveSteps: 0, redrives: 0 };
  let sessions = 0;
  const url = `http://127.0.0.1:${port}`;
  const envFactory: EnvFactory = () => {
    if (sessions >= 2) throw new Error(`${name}: a 3rd env session was requested`);
    const inner = createHttpTextEnv('alfworld', { url });
    const session = sessions++;
    let index = 0;
    const env: TextEnv = {
      reset: (spec, options) => inner.reset(spec, options),
      step: async (action: string, options?: StepOptions): Promise<StepResult> => {
        if (session === 0) await beforeStep?.(index);
        index += 1;
        return inner.step(action, options);
      },
      close: () => inner.close(),
    };
    return env;
  };
  const llm = new ScriptedLlmClient(expertPolicyRules(segmentByMoves(walkthrough), 'chat'));
  const taskQueue = queueFor(`react-redrive-${name}`);
  const episodeId = `react-${taskQueue}`;
  const result = await withWorker(t, { taskQueue, llm, envFactory, counters: { env: counters } }, async () => {
    const handle = await startReact(t.client, { episodeId, taskQueue, config: { spec: GAME, profile: 'chat' } });
    const ended = handle.result();
    try {
      await during?.(ended);
      return await ended;
    } catch (err) {
      await handle.terminate('test failed').catch(() => undefined);
      throw err;
    }
  });
  return { episodeId, result, counters, sessions };
}

const seen = (r: ReactResult) =>
  r.steps.map(({ stepIndex, action, observation, reward, score, done }) => ({
    stepIndex,
    action,
    observation,
    reward,
    score,
    done,
  }));

let reference: Run;

beforeAll(async () => {
  t = await connectTestTemporal();
  port = await freePort();
  server = await startEnvServer({ port });
  walkthrough = await getExpertActions(server.url, GAME);
  reference = await play('reference');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await t?.close();
}, 60_000);

test('the expert react agent wins the real ALFWorld game with the walkthrough, one session', () => {
  expect(K).toBeLessThan(walkthrough.length - 1);
  expect(reference.result).toMatchObject({ status: 'env-done', won: true, redrives: 0 });
  expect(reference.result.steps.map((s) => s.action)).toEqual(walkthrough);
  expect(reference.sessions).toBe(1);
});

test('env server SIGKILLed mid-step and restarted: the react episode re-drives and finishes with the same steps', async () => {
  const blocked = deferred();
  const release = deferred();
  const run = await play(
    'kill',
    async (index) => {
      if (index === K) {
        blocked.resolve();
        await release.promise;
      }
    },
    async (ended) => {
      await Promise.race([
        blocked.promise,
        ended.then(() => Promise.reject(new Error(`episode ended before step ${K} was blocked`))),
      ]);
      process.kill(server.pid!, 'SIGKILL');
      await server.stop();
      server = await startEnvServer({ port });
      release.resolve();
    },
  );
  expect(run.result).toMatchObject({ status: 'env-done', won: true, redrives: 1 });
  expect(run.result.error).toBeUndefined();
  expect(seen(run.result)).toEqual(seen(reference.result));
  expect(run.sessions).toBe(2);
  expect(run.counters.redrives).toBe(1);
  expect(run.counters.redriveSteps).toBe(K);
  const keys = [...Array(walkthrough.length).keys()].map((i) => `${run.episodeId}#${i}`);
  expect([...run.counters.applied.keys()].sort()).toEqual(keys.sort());
  expect([...run.counters.applied.values()].every((n) => n === 1)).toBe(true);
}, 180_000);
