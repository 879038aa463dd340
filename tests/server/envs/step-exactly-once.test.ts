/**
 * Env steps apply exactly once, end to end, against the REAL env server (issue 9 item 1).
 *
 * The server is started with the test-only `STEP_HRL_ENVSERVER_TEST_STEP_DELAY_MS`, so every step
 * is applied at once but answered 1.5 s later: the case of a step that completes on the server
 * after the client gave up (a timeout, a cancelled or heartbeat-timed-out activity attempt).
 * `GET /stats` counts applications inside the server.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEnvActivities, type EnvFactory } from '../../../src/activities';
import { ENV_DIVERGENCE, type EnvStepOutput } from '../../../src/activities/types';
import { EnvHttp } from '../../../src/envs/env-http';
import { createHttpTextEnv, ScienceWorldTextEnv } from '../../../src/envs/http-text-env';
import { EnvError, type EnvSpec } from '../../../src/envs/text-env';
import { useEnvServer } from '../../support/env-server-fixture';

const STEP_DELAY_MS = 1_500;
const SPEC: EnvSpec = { env: 'scienceworld', task: 'find-plant', variation: 0 };
const ACTION = 'open door to art studio';

const server = useEnvServer({ env: { STEP_HRL_ENVSERVER_TEST_STEP_DELAY_MS: String(STEP_DELAY_MS) } });

interface Stats {
  steps_applied: number;
  steps_from_store: number;
  applied_twice: number;
}
const stats = (): Promise<Stats> => new EnvHttp(server.url).get<Stats>('/stats', {}, { timeoutMs: 10_000 });
const delta = (before: Stats, after: Stats) => ({
  applied: after.steps_applied - before.steps_applied,
  fromStore: after.steps_from_store - before.steps_from_store,
  appliedTwice: after.applied_twice,
});

/** What one uninterrupted step of ACTION from the reset state shows (no timeout: waits the delay). */
async function referenceObservation(): Promise<string> {
  const env = new ScienceWorldTextEnv({ url: server.url });
  try {
    await env.reset(SPEC);
    return (await env.step(ACTION, { stepIndex: 0 })).observation.text;
  } finally {
    await env.close();
  }
}

test('a step that completes on the server after the client timed out is applied once; the retry gets its result', async () => {
  const reference = await referenceObservation();
  const env = new ScienceWorldTextEnv({ url: server.url, stepTimeoutMs: 300 });
  try {
    await env.reset(SPEC);
    const before = await stats();
    await expect(env.step(ACTION, { stepIndex: 0 })).rejects.toMatchObject({ code: 'EnvUnavailable' });
    // The client retries the same step index, as an activity retry does, until it gets an answer.
    let retried: string | undefined;
    for (let attempt = 0; attempt < 20 && retried === undefined; attempt++) {
      try {
        retried = (await env.step(ACTION, { stepIndex: 0 })).observation.text;
      } catch (err) {
        if (!(err instanceof EnvError && err.code === 'EnvUnavailable')) throw err;
      }
    }
    expect(retried).toBe(reference);
    expect(delta(before, await stats())).toEqual({ applied: 1, fromStore: 1, appliedTwice: 0 });
  } finally {
    await env.close();
  }
}, 120_000);

describe('envStep activity', () => {
  const envFactory: EnvFactory = (spec) => createHttpTextEnv(spec.env as 'scienceworld', { url: server.url });

  async function activitiesAfterReset(episodeId: string) {
    const activities = createEnvActivities({ envFactory, envQueue: 'unused' });
    await activities.envReset({ episodeId, spec: SPEC });
    return activities;
  }

  test('an attempt racing attempt 1 of the same step awaits it: applied once, same result', async () => {
    const reference = await referenceObservation();
    const activities = await activitiesAfterReset('race');
    const before = await stats();
    const input = { episodeId: 'race', stepIndex: 0, action: ACTION };
    const first = new MockActivityEnvironment({ attempt: 1 }).run(activities.envStep, input);
    await new Promise((r) => setTimeout(r, 300)); // attempt 1 is in flight (the server holds its answer)
    const second = new MockActivityEnvironment({ attempt: 2 }).run(activities.envStep, input);
    const [a, b] = (await Promise.all([first, second])) as EnvStepOutput[];
    expect(a).toEqual(b);
    expect(a.observation.text).toBe(reference);
    expect(delta(before, await stats())).toEqual({ applied: 1, fromStore: 0, appliedTwice: 0 });
    await activities.envClose({ episodeId: 'race' });
  }, 120_000);

  test('a cancelled attempt stops its HTTP call; the retry re-sends the index and gets the stored result', async () => {
    const reference = await referenceObservation();
    const activities = await activitiesAfterReset('cancel');
    const before = await stats();
    const input = { episodeId: 'cancel', stepIndex: 0, action: ACTION };
    const attempt1 = new MockActivityEnvironment({ attempt: 1 });
    const first = attempt1.run(activities.envStep, input);
    await new Promise((r) => setTimeout(r, 300));
    attempt1.cancel('CANCELLED');
    // It stopped waiting for the server's answer (before the change it waited and succeeded).
    await expect(first).rejects.toBeInstanceOf(CancelledFailure);
    const retry = (await new MockActivityEnvironment({ attempt: 2 }).run(activities.envStep, input)) as EnvStepOutput;
    expect(retry.observation.text).toBe(reference);
    expect(delta(before, await stats())).toEqual({ applied: 1, fromStore: 1, appliedTwice: 0 });
    await activities.envClose({ episodeId: 'cancel' });
  }, 120_000);

  test('an attempt waiting on attempt 1 stops waiting when it is cancelled; attempt 1 still applies once', async () => {
    const activities = await activitiesAfterReset('cancel-waiter');
    const before = await stats();
    const input = { episodeId: 'cancel-waiter', stepIndex: 0, action: ACTION };
    const first = new MockActivityEnvironment({ attempt: 1 }).run(activities.envStep, input);
    await new Promise((r) => setTimeout(r, 300));
    const attempt2 = new MockActivityEnvironment({ attempt: 2 });
    const second = attempt2.run(activities.envStep, input);
    await new Promise((r) => setTimeout(r, 100));
    attempt2.cancel('CANCELLED');
    await expect(second).rejects.toBeInstanceOf(CancelledFailure);
    await expect(first).resolves.toMatchObject({ done: false });
    expect(delta(before, await stats())).toEqual({ applied: 1, fromStore: 0, appliedTwice: 0 });
    await activities.envClose({ episodeId: 'cancel-waiter' });
  }, 120_000);

  test('a different action at a used index is a non-retryable EnvDivergence, not the old result', async () => {
    const activities = await activitiesAfterReset('diverge');
    await activities.envStep({ episodeId: 'diverge', stepIndex: 0, action: ACTION });
    const err = await activities
      .envStep({ episodeId: 'diverge', stepIndex: 0, action: 'look around' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: ENV_DIVERGENCE, nonRetryable: true });
    expect((err as Error).message).toMatch(/step 0 was already sent with action "open door to art studio"/);
    await activities.envClose({ episodeId: 'diverge' });
  }, 120_000);

  test('the server reports a different action at a used index as EnvDivergence too', async () => {
    const env = new ScienceWorldTextEnv({ url: server.url });
    try {
      await env.reset(SPEC);
      await env.step(ACTION, { stepIndex: 0 });
      await expect(env.step('look around', { stepIndex: 0 })).rejects.toMatchObject({
        code: 'EnvDivergence',
        message: expect.stringMatching(/step_index 0 was already applied with action 'open door to art studio'/),
      });
    } finally {
      await env.close();
    }
  }, 120_000);

  test('envClose is idempotent and safe when the session or the server is gone', async () => {
    const activities = await activitiesAfterReset('close');
    await activities.envClose({ episodeId: 'close' });
    await activities.envClose({ episodeId: 'close' });
    await activities.envClose({ episodeId: 'never-opened' });
    const gone = createEnvActivities({
      envFactory: () => createHttpTextEnv('scienceworld', { url: 'http://127.0.0.1:9' }),
      envQueue: 'unused',
    });
    await expect(gone.envReset({ episodeId: 'x', spec: SPEC })).rejects.toMatchObject({ type: 'EnvUnavailableError' });
    await gone.envClose({ episodeId: 'x' });
  }, 120_000);
});
