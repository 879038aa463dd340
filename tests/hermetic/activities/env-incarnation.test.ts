/**
 * Worker-specific env queues with incarnations (issue 20 item 1): a call meant for another
 * incarnation of the worker (its predecessor on a restart) answers SessionLost and never touches a
 * session; `acquireEnvQueue` answers the queue and incarnation, and refuses retryably while its env
 * server is unhealthy; `resume` reads the current lease from histories of either answer shape; an
 * incarnation is declared gone only on its own machine once its pid ended.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createEnvActivities } from '../../../src/activities';
import { incarnationOfEnvQueue, SESSION_LOST, type EnvLease } from '../../../src/activities/types';
import { BuiltinTextEnv } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import type { HistoryEvent } from '../../../src/history-payloads';
import { leaseOfHistory } from '../../../src/resume';
import { envQueueName } from '../../../src/worker';
import {
  incarnationIdentity,
  isIncarnationGone,
  newIncarnation,
  parseIncarnationIdentity,
} from '../../../src/worker-incarnation';
import { defaultPayloadConverter } from '@temporalio/common';
import { stickyQueueOwner } from '../../../src/lost-worker';

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };

function activities(envHealth?: (env: string) => Promise<void>) {
  let opened = 0;
  const acts = createEnvActivities({
    envQueue: envQueueName('q', 'inc-new'),
    envHealth,
    envFactory: () => {
      opened += 1;
      return new BuiltinTextEnv();
    },
  });
  return { acts, opened: () => opened };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

test('an env call for a stale incarnation answers SessionLost, even where a session exists', async () => {
  const { acts, opened } = activities();
  await acts.envReset({ episodeId: 'e', spec, incarnation: 'inc-new' });
  const step = await failureOf(acts.envStep({ episodeId: 'e', stepIndex: 0, action: 'look', incarnation: 'inc-old' }));
  expect(step.type).toBe(SESSION_LOST);
  expect(step.nonRetryable).toBe(true);
  expect(step.message).toContain('inc-old');
  const reset = await failureOf(acts.envReset({ episodeId: 'e2', spec, incarnation: 'inc-old' }));
  expect(reset.type).toBe(SESSION_LOST);
  const redrive = await failureOf(
    acts.envRedrive({ episodeId: 'e', spec, steps: [], resetObsHash: 'x', incarnation: 'inc-old' }),
  );
  expect(redrive.type).toBe(SESSION_LOST);
  expect(opened()).toBe(1); // the stale calls opened nothing
  // A stale close frees nothing of this incarnation's: the session still steps.
  await acts.envClose({ episodeId: 'e', incarnation: 'inc-old' });
  await expect(acts.envStep({ episodeId: 'e', stepIndex: 0, action: 'look', incarnation: 'inc-new' })).resolves.toEqual(
    expect.objectContaining({ obsHash: expect.any(String) }),
  );
});

test('acquireEnvQueue answers its queue and incarnation; refuses retryably while its env server is unhealthy', async () => {
  let healthy = false;
  const checked: string[] = [];
  const { acts } = activities(async (env) => {
    checked.push(env);
    if (!healthy) throw new Error('env server at http://127.0.0.1:9 refused the connection');
  });
  const refused = await failureOf(acts.acquireEnvQueue({ env: 'scienceworld' }));
  expect(refused.type).toBe('EnvUnavailable');
  expect(refused.nonRetryable).toBe(false); // the retry goes to whichever worker polls first
  expect(refused.message).toContain('refused the connection');
  healthy = true;
  const lease = await acts.acquireEnvQueue({ env: 'scienceworld' });
  expect(lease).toMatchObject({ envQueue: 'q.env.inc-new', incarnation: 'inc-new' });
  expect(incarnationOfEnvQueue(lease.envQueue)).toBe(lease.incarnation);
  expect(checked).toEqual(['scienceworld', 'scienceworld']);
});

test('env queue names: a label is optional and never replaces the incarnation', () => {
  expect(envQueueName('step-hrl', 'abc')).toBe('step-hrl.env.abc');
  expect(envQueueName('step-hrl', 'abc', 'host-a')).toBe('step-hrl.env.host-a.abc');
  expect(incarnationOfEnvQueue(envQueueName('a.b', 'abc', 'host-a'))).toBe('abc');
  expect(() => envQueueName('step-hrl', 'abc', 'a.b')).toThrow(/worker id "a.b" is not a label/);
});

test('resume reads the current lease from either acquireEnvQueue answer shape', () => {
  const payloads = (v: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(v)] });
  const history = (answer: unknown): HistoryEvent[] =>
    [
      { eventId: 1, workflowExecutionStartedEventAttributes: { input: payloads({ config: {} }) } },
      { eventId: 5, activityTaskScheduledEventAttributes: { activityType: { name: 'acquireEnvQueue' } } },
      { eventId: 7, activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: payloads(answer) } },
    ] as unknown as HistoryEvent[];
  const lease: EnvLease = { envQueue: 'q.env.inc-1', incarnation: 'inc-1', identity: '1@h sh:inc1' };
  expect(leaseOfHistory(history(lease))).toEqual(lease);
  expect(leaseOfHistory(history('q.env.eval'))).toEqual({ envQueue: 'q.env.eval', incarnation: 'eval' });
});

test('an incarnation is gone only on its own machine, once its pid ended or runs another process', () => {
  const me = newIncarnation();
  const parsed = parseIncarnationIdentity(incarnationIdentity(me))!;
  expect(parsed).toEqual(me);
  // Written into every task event of a history: kept near the SDK's default `pid@host`.
  expect(incarnationIdentity(me).length).toBeLessThanOrEqual(`${me.pid}@${me.host}`.length + 32);
  expect(isIncarnationGone(me)).toBe(false); // this process runs
  const here = { machine: 'boot/ns', startedOf: (pid: number) => (pid === 7 ? '100' : undefined) };
  const inc = { id: 'x', host: 'h', pid: 7, machine: 'boot/ns', started: '100' };
  expect(isIncarnationGone(inc, here)).toBe(false);
  expect(isIncarnationGone({ ...inc, started: '99' }, here)).toBe(true); // pid reused
  expect(isIncarnationGone({ ...inc, pid: 8 }, here)).toBe(true); // pid ended
  expect(isIncarnationGone({ ...inc, pid: 8, machine: 'other/ns' }, here)).toBe(false); // another machine: unknown
  expect(parseIncarnationIdentity('123@host')).toBeUndefined(); // not a step-hrl incarnation
});

test("a sticky queue's owner is the worker identity the SDK names it after", () => {
  const identity = incarnationIdentity(newIncarnation());
  const sticky = `${identity}-0123456789abcdef0123456789abcdef`;
  expect(stickyQueueOwner(sticky)).toBe(identity);
  expect(parseIncarnationIdentity(stickyQueueOwner(sticky))).toEqual(parseIncarnationIdentity(identity));
  expect(stickyQueueOwner('step-hrl.run.some-queue')).toBe('step-hrl.run.some-queue'); // not sticky: unchanged
});

test('a reset that fails (or is cancelled) closes the session it opened: nothing is left open', async () => {
  let closed = 0;
  const acts = createEnvActivities({
    envQueue: envQueueName('q', 'inc-new'),
    envFactory: () => {
      const env = new BuiltinTextEnv();
      env.reset = () => Promise.reject(new Error('reset cut short'));
      env.close = async () => {
        closed += 1;
      };
      return env;
    },
  });
  await expect(acts.envReset({ episodeId: 'e', spec, incarnation: 'inc-new' })).rejects.toThrow();
  expect(closed).toBe(1);
});
