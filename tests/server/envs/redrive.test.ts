/**
 * Re-drive against the real env server and a real Temporal server (issue 5, "Must show" 3).
 *
 * Pins, on one ALFWorld valid_seen game played by the scripted expert policy through the episode
 * and subtask workflows:
 * 1. Killing the env server (SIGKILL) while step K is in flight and starting a new one on the same
 *    port loses the session; the episode re-drives a new session (replaying exactly the K recorded
 *    steps) and wins, and every observation — replayed and after — is identical to a reference run
 *    of the same game without a kill (transition by transition, and by observation hash).
 * 2. A recorded observation that no longer matches what the env produces is caught by the re-drive:
 *    the episode ends `env-error` naming the diverged step, nothing is applied or recorded after
 *    it, and the prefix recorded before the session loss is kept intact.
 */
import type { EnvCounters, EnvFactory } from '../../../src/activities';
import type { AugmentedTransition } from '../../../src/agent/records';
import { fetchSubtaskOutcomes, startEpisode } from '../../../src/client';
import { startEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';
import { getExpertActions } from '../../../src/envs/expert';
import { createHttpTextEnv } from '../../../src/envs/http-text-env';
import {
  EnvError,
  type EnvSpec,
  type Observation,
  type ResetOptions,
  type ResetResult,
  type StepOptions,
  type StepResult,
  type TextEnv,
} from '../../../src/envs/text-env';
import { segmentByMoves } from '../../../src/llm/expert-plan';
import { expertPolicyRules, type ExpertSubtask } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { freePort } from '../../../src/server/ports';
import type { EpisodeResult } from '../../../src/workflows/episode';
import type { SubtaskOutcome } from '../../../src/workflows/subtask';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

/** 8 walkthrough actions in 4 "go to" legs of 2 actions each. */
const GAME: EnvSpec = {
  env: 'alfworld',
  split: 'valid_seen',
  task: 'pick_two_obj_and_place-SprayBottle-None-GarbageCan-419/trial_T20190908_164236_518264',
};
/** The step in flight when the session is lost: the 2nd action of the 3rd leg (mid-subtask). */
const K = 5;
/** The step whose observation is tampered with in the divergence test. */
const D = 2;

/** Hooks of {@link ProbeEnv}; `session` counts the env instances made by one run's factory. */
interface ProbeHooks {
  beforeStep?(session: number, index: number): Promise<void>;
  observation?(session: number, index: number, observation: Observation): Observation;
}

/** A TextEnv wrapper that journals what its session applied and lets a test intervene. */
class ProbeEnv implements TextEnv {
  /** Steps applied by this session, with the observation text handed to the agent. */
  readonly log: { action: string; text: string }[] = [];
  /** Env errors thrown by the inner client, by step index. */
  readonly errors: { index: number; code: EnvError['code'] }[] = [];

  constructor(
    private readonly inner: TextEnv,
    private readonly session: number,
    private readonly hooks: ProbeHooks,
  ) {}

  reset(spec: EnvSpec, options?: ResetOptions): Promise<ResetResult> {
    return this.inner.reset(spec, options);
  }

  async step(action: string, options?: StepOptions): Promise<StepResult> {
    const index = this.log.length;
    await this.hooks.beforeStep?.(this.session, index);
    let result: StepResult;
    try {
      result = await this.inner.step(action, options);
    } catch (err) {
      if (err instanceof EnvError) this.errors.push({ index, code: err.code });
      throw err;
    }
    const observation = this.hooks.observation?.(this.session, index, result.observation) ?? result.observation;
    this.log.push({ action, text: observation.text });
    return { ...result, observation };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

interface Run {
  episodeId: string;
  result: EpisodeResult;
  outcomes: SubtaskOutcome[];
  transitions: AugmentedTransition[];
  /** Observation hash of every recorded step, from the subtask outcomes (the re-drive log). */
  hashes: string[];
  counters: EnvCounters;
  sessions: ProbeEnv[];
}

let t: TestTemporal;
let port: number;
let server: EnvServerHandle;
let walkthrough: string[];
let plan: ExpertSubtask[];
let reference: Run;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Plays GAME with the scripted expert through the workflows; `during` runs while the episode runs. */
async function runEpisode(
  name: string,
  hooks: ProbeHooks,
  during?: (episodeEnded: Promise<unknown>) => Promise<void>,
): Promise<Run> {
  const counters: EnvCounters = { applied: new Map(), redriveSteps: 0, redrives: 0 };
  const sessions: ProbeEnv[] = [];
  const url = `http://127.0.0.1:${port}`; // the same address before and after a restart
  const envFactory: EnvFactory = () => {
    // The reference needs 1 session, a re-drive 1 more: a 3rd means re-drives looping (fail fast).
    if (sessions.length >= 2) throw new Error(`${name}: a 3rd env session was requested`);
    const env = new ProbeEnv(createHttpTextEnv('alfworld', { url }), sessions.length, hooks);
    sessions.push(env);
    return env;
  };
  const llm = new ScriptedLlmClient(expertPolicyRules(plan, 'chat'));
  const taskQueue = queueFor(`redrive-${name}`);
  const episodeId = `ep-${taskQueue}`;
  const result = await withWorker(t, { taskQueue, llm, envFactory, counters: { env: counters } }, async () => {
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec: GAME, profile: 'chat' } });
    const ended = handle.result();
    try {
      await during?.(ended);
      return await ended;
    } catch (err) {
      await handle.terminate('test failed').catch(() => undefined);
      throw err;
    }
  });
  const outcomes = await fetchSubtaskOutcomes(t.client, episodeId);
  return {
    episodeId,
    result,
    outcomes,
    transitions: outcomes.flatMap((o) => o.transitions),
    hashes: outcomes.flatMap((o) => o.steps.map((s) => s.obsHash)),
    counters,
    sessions,
  };
}

/** What the agent saw and got at each step (everything but model records and latency). */
const seen = (transitions: AugmentedTransition[]) =>
  transitions.map((tr) => ({
    stepIndex: tr.stepIndex,
    action: tr.action,
    observation: tr.observation,
    nextObservation: tr.nextObservation,
    reward: tr.reward,
    score: tr.score,
    done: tr.done,
    won: tr.won,
  }));

const stepKeys = (episodeId: string, n: number): string[] => [...Array(n).keys()].map((i) => `${episodeId}#${i}`);

beforeAll(async () => {
  t = await connectTestTemporal();
  port = await freePort();
  server = await startEnvServer({ port });
  walkthrough = await getExpertActions(server.url, GAME);
  plan = segmentByMoves(walkthrough);
  reference = await runEpisode('reference', {});
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await t?.close();
}, 60_000);

test('the reference run: one session, no re-drive, the walkthrough wins', () => {
  expect(walkthrough.length).toBeGreaterThanOrEqual(5);
  expect(K).toBeLessThan(walkthrough.length - 1);
  expect(reference.result).toMatchObject({ status: 'env-done', won: true, redrives: 0, steps: walkthrough.length });
  expect(reference.transitions.map((tr) => tr.action)).toEqual(walkthrough);
  expect(reference.hashes).toHaveLength(walkthrough.length);
  expect(reference.sessions).toHaveLength(1);
  expect(reference.counters).toMatchObject({ redrives: 0, redriveSteps: 0 });
});

test('env server SIGKILLed mid-step and restarted on the same port: re-drive, identical observations', async () => {
  const blocked = deferred();
  const release = deferred();
  const oldPid = server.pid;
  let newPid: number | undefined;
  const run = await runEpisode(
    'kill',
    {
      async beforeStep(session, index) {
        if (session === 0 && index === K) {
          blocked.resolve();
          await release.promise;
        }
      },
    },
    async (ended) => {
      await Promise.race([
        blocked.promise,
        ended.then(() => Promise.reject(new Error(`episode ended before step ${K} was blocked`))),
      ]);
      process.kill(server.pid!, 'SIGKILL');
      await server.stop(); // waits for the exit
      server = await startEnvServer({ port });
      newPid = server.pid;
      release.resolve();
    },
  );

  expect(newPid).toBeDefined();
  expect(newPid).not.toBe(oldPid);
  // The in-flight step reached the new server with the old session id and was told the session is lost.
  expect(run.sessions[0].errors.at(-1)).toEqual({ index: K, code: 'SessionLost' });
  expect(run.sessions[0].log.map((s) => s.action)).toEqual(walkthrough.slice(0, K));

  expect(run.result).toMatchObject({ status: 'env-done', won: true, redrives: 1, steps: walkthrough.length });
  expect(run.result.error).toBeUndefined();
  expect(run.transitions.map((tr) => tr.action)).toEqual(walkthrough);
  // The lost subtask was continued in a second child: one outcome more than the plan has subtasks.
  expect(run.outcomes.map((o) => o.status).filter((s) => s === 'session-lost')).toHaveLength(1);
  expect(run.outcomes).toHaveLength(plan.length + 1);

  // Identical to the reference run: what the agent saw at every step, and the recorded hashes.
  expect(seen(run.transitions)).toEqual(seen(reference.transitions));
  expect(run.hashes).toEqual(reference.hashes);

  // The new session replayed exactly the K recorded steps, then applied the rest, and saw exactly
  // what the reference session saw at every one of them.
  expect(run.sessions).toHaveLength(2);
  expect(run.sessions[1].log).toEqual(reference.sessions[0].log);
  expect(run.counters.redrives).toBe(1);
  expect(run.counters.redriveSteps).toBe(K);
  // Every recorded step was applied by the agent exactly once (replays are not applications).
  expect([...run.counters.applied.keys()].sort()).toEqual(stepKeys(run.episodeId, walkthrough.length).sort());
  expect([...run.counters.applied.values()].every((n) => n === 1)).toBe(true);
}, 120_000);

test('a recorded observation that no longer matches is detected on re-drive: env-error, prefix kept', async () => {
  const run = await runEpisode('diverge', {
    async beforeStep(session, index) {
      if (session === 0 && index === K) throw new EnvError('env server lost the session (simulated)', 'SessionLost');
    },
    observation(session, index, observation) {
      // The first session reports a different text for step D than the env produces on replay.
      return session === 0 && index === D ? { ...observation, text: `${observation.text} (tampered)` } : observation;
    },
  });

  expect(run.result.status).toBe('env-error');
  expect(run.result.error).toMatch(new RegExp(`re-driven step ${D} differs from the recorded observation`));
  expect(run.result).toMatchObject({ won: false, redrives: 0, steps: K });

  // Everything recorded before the loss is intact, including the observation as it was recorded;
  // nothing is recorded after it.
  expect(run.transitions.map((tr) => tr.stepIndex)).toEqual([...Array(K).keys()]);
  expect(run.transitions.map((tr) => tr.action)).toEqual(walkthrough.slice(0, K));
  expect(run.transitions[D].nextObservation).toContain('(tampered)');
  const expected = seen(reference.transitions.slice(0, K));
  const actual = seen(run.transitions);
  expect(actual[D].nextObservation).not.toBe(expected[D].nextObservation);
  expect(actual.filter((_, i) => i !== D && i !== D + 1)).toEqual(expected.filter((_, i) => i !== D && i !== D + 1));
  expect({ ...actual[D], nextObservation: '' }).toEqual({ ...expected[D], nextObservation: '' });
  expect(actual[D + 1].observation).toBe(actual[D].nextObservation); // the agent went on from what it recorded
  expect({ ...actual[D + 1], observation: '' }).toEqual({ ...expected[D + 1], observation: '' });
  expect(run.hashes).toHaveLength(K);
  expect(run.hashes.filter((_, i) => i !== D)).toEqual(reference.hashes.slice(0, K).filter((_, i) => i !== D));
  expect(run.hashes[D]).not.toBe(reference.hashes[D]);
  expect(run.outcomes.at(-1)!.status).toBe('session-lost');

  // The re-drive stopped at the diverged step: no further replay, and no step of the agent applied on it.
  expect(run.counters.redrives).toBe(1);
  expect(run.counters.redriveSteps).toBe(D + 1);
  expect(run.sessions).toHaveLength(2);
  expect(run.sessions[1].log.map((s) => s.action)).toEqual(walkthrough.slice(0, D + 1));
  expect([...run.counters.applied.keys()].sort()).toEqual(stepKeys(run.episodeId, K).sort());
}, 120_000);
