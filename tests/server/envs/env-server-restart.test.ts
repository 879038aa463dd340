/**
 * The worker restarts an env server it started when that server dies (issue 9 item 3, env half).
 *
 * One ALFWorld game is played by the scripted expert through the real workflows, with envs from
 * the worker's own {@link EnvProvider} (which spawns the env server). SIGKILLing that server just
 * before step K is sent: the in-flight client reports `SessionLost` (not a refused connection
 * retried until the activity gives up), the provider spawns a new server, the episode re-drives on
 * it and completes `env-done`, and what the agent saw is identical to an uninterrupted run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { EnvFactory } from '../../../src/activities';
import type { AugmentedTransition } from '../../../src/agent/records';
import { fetchSubtaskOutcomes, startEpisode } from '../../../src/client';
import { getExpertActions } from '../../../src/envs/expert';
import { EnvProvider } from '../../../src/envs/factory';
import type { EnvSpec, ResetOptions, StepOptions, TextEnv } from '../../../src/envs/text-env';
import { segmentByMoves } from '../../../src/llm/expert-plan';
import { expertPolicyRules, type ExpertSubtask } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import type { EpisodeResult } from '../../../src/workflows/episode';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

const GAME: EnvSpec = {
  env: 'alfworld',
  split: 'valid_seen',
  task: 'pick_two_obj_and_place-SprayBottle-None-GarbageCan-419/trial_T20190908_164236_518264',
};
/** The step about to be sent when the env server is killed. */
const K = 3;

/** Env server processes that are children of this test process. */
function envServerChildren(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (state !== 'Z' && Number(ppid) === process.pid && cmdline.includes('step_hrl_envserver'))
        pids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** Wraps a provider's env so the test can act just before a given step is sent. */
class HookedEnv implements TextEnv {
  steps = 0;
  constructor(
    private readonly inner: TextEnv,
    private readonly beforeStep: (index: number) => Promise<void>,
  ) {}
  reset(spec: EnvSpec, options?: ResetOptions) {
    this.steps = 0;
    return this.inner.reset(spec, options);
  }
  async step(action: string, options?: StepOptions) {
    await this.beforeStep(this.steps++);
    return this.inner.step(action, options);
  }
  close() {
    return this.inner.close();
  }
}

let t: TestTemporal;
let provider: EnvProvider;
let plan: ExpertSubtask[];
let walkthrough: string[];

const seen = (transitions: AugmentedTransition[]) =>
  transitions.map(({ stepIndex, action, observation, nextObservation, reward, score, done, won }) => ({
    ...{ stepIndex, action, observation, nextObservation, reward, score, done, won },
  }));

async function runEpisode(name: string, envFactory: EnvFactory): Promise<{ result: EpisodeResult; seen: unknown[] }> {
  const taskQueue = queueFor(`env-restart-${name}`);
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(expertPolicyRules(plan, 'chat'));
  const result = await withWorker(t, { taskQueue, llm, envFactory }, async () => {
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: GAME, profile: 'chat' } });
    try {
      return await handle.result();
    } catch (err) {
      await handle.terminate('test failed').catch(() => undefined);
      throw err;
    }
  });
  const outcomes = await fetchSubtaskOutcomes(t.client, episodeId);
  return { result, seen: seen(outcomes.flatMap((o) => o.transitions)) };
}

beforeAll(async () => {
  t = await connectTestTemporal();
  provider = new EnvProvider();
  walkthrough = await getExpertActions(await provider.serverUrl(), GAME);
  plan = segmentByMoves(walkthrough);
}, 120_000);

afterAll(async () => {
  await provider?.close();
  await t?.close();
}, 60_000);

test('the auto-started env server SIGKILLed mid-episode is restarted and the episode re-drives to the same record', async () => {
  const reference = await runEpisode('reference', provider.create);
  expect(reference.result).toMatchObject({ status: 'env-done', won: true, redrives: 0 });

  const [oldPid] = envServerChildren();
  expect(oldPid).toBeDefined();
  let killed = false;
  const run = await runEpisode('kill', async (spec) => {
    const env = await provider.create(spec);
    return new HookedEnv(env, async (index) => {
      if (!killed && index === K) {
        killed = true;
        process.kill(oldPid, 'SIGKILL');
        while (envServerChildren().includes(oldPid)) await new Promise((r) => setTimeout(r, 50));
      }
    });
  });

  expect(killed).toBe(true);
  expect(run.result).toMatchObject({ status: 'env-done', won: true, steps: walkthrough.length });
  expect(run.result.redrives).toBeGreaterThanOrEqual(1);
  expect(run.result.error).toBeUndefined();
  expect(run.seen).toEqual(reference.seen);
  const restarted = envServerChildren();
  expect(restarted).toHaveLength(1);
  expect(restarted[0]).not.toBe(oldPid);
}, 240_000);
