/**
 * The worker's env session map and step counters have an idle TTL, the env server's (issue 17
 * item 7): before it, a session whose episode never closed it (terminated, or its close ran on
 * another worker) and the episode's counters stayed in the worker's memory for good; the chaos
 * bench ended with 17 sessions open. Time comes from an injected clock, nothing sleeps.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createEnvActivities, type EnvCounters } from '../../../src/activities';
import {
  DEFAULT_ENV_SESSION_TTL_SECONDS,
  ENV_SESSION_TTL_VAR,
  envSessionTtlSeconds,
} from '../../../src/activities/env';
import { BuiltinTextEnv } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };
const TTL_MS = 60_000;

function activitiesWithClock() {
  const clock = { now: 1_000_000 };
  const closed: string[] = [];
  const counters: EnvCounters = { applied: new Map(), redriveSteps: 0, redrives: 0 };
  let opened = 0;
  const activities = createEnvActivities({
    envQueue: 'q.env.w',
    counters,
    sessionTtlMs: TTL_MS,
    now: () => clock.now,
    envFactory: () => {
      const env = new BuiltinTextEnv();
      const name = `session-${++opened}`;
      const close = env.close.bind(env);
      env.close = async () => {
        closed.push(name);
        await close();
      };
      return env;
    },
  });
  return { activities, clock, closed, counters };
}

test('a session idle longer than the TTL is closed and forgotten, with its step counters', async () => {
  const { activities, clock, closed, counters } = activitiesWithClock();
  await activities.envReset({ episodeId: 'idle', spec });
  await activities.envStep({ episodeId: 'idle', stepIndex: 0, action: 'look' });
  await activities.envReset({ episodeId: 'busy', spec });
  expect([...counters.applied.keys()]).toEqual(['idle#0']);

  // 'busy' keeps stepping; 'idle' is never touched again.
  for (let i = 0; i < 4; i++) {
    clock.now += TTL_MS / 2;
    await activities.envStep({ episodeId: 'busy', stepIndex: i, action: 'look' });
  }
  expect(closed).toEqual(['session-1']);
  expect([...counters.applied.keys()].sort()).toEqual(['busy#0', 'busy#1', 'busy#2', 'busy#3']);
  await expect(activities.envStep({ episodeId: 'idle', stepIndex: 1, action: 'look' })).rejects.toMatchObject({
    type: 'SessionLost',
  });
  // The live session was never idle that long: it is kept.
  await expect(activities.envStep({ episodeId: 'busy', stepIndex: 4, action: 'look' })).resolves.toBeDefined();
});

test('a session idle for less than the TTL is kept', async () => {
  const { activities, clock, closed } = activitiesWithClock();
  await activities.envReset({ episodeId: 'e', spec });
  clock.now += TTL_MS - 1;
  await activities.envReset({ episodeId: 'other', spec });
  await expect(activities.envStep({ episodeId: 'e', stepIndex: 0, action: 'look' })).resolves.toBeDefined();
  expect(closed).toEqual([]);
});

test("an episode's counters outlive its closed session until the TTL, then go", async () => {
  const { activities, clock, counters } = activitiesWithClock();
  await activities.envReset({ episodeId: 'done', spec });
  await activities.envStep({ episodeId: 'done', stepIndex: 0, action: 'look' });
  await activities.envClose({ episodeId: 'done' });
  expect(counters.applied.get('done#0')).toBe(1);
  clock.now += TTL_MS + 1;
  await activities.acquireEnvQueue();
  expect(counters.applied.has('done#0')).toBe(false);
});

test("the worker's TTL is the env server's: same variable, same default, same parsing", () => {
  const server = readFileSync(path.join(__dirname, '../../../envserver/step_hrl_envserver/__main__.py'), 'utf8');
  expect(/^TTL_ENV = "([A-Z_]+)"$/m.exec(server)?.[1]).toBe(ENV_SESSION_TTL_VAR);
  const expression = /^DEFAULT_TTL_S = ([\d\s*]+)$/m.exec(server)?.[1];
  expect(expression).toBeDefined();
  const serverDefault = expression!.split('*').reduce((product, factor) => product * Number(factor.trim()), 1);
  expect(DEFAULT_ENV_SESSION_TTL_SECONDS).toBe(serverDefault);

  expect(envSessionTtlSeconds({})).toBe(serverDefault);
  expect(envSessionTtlSeconds({ [ENV_SESSION_TTL_VAR]: '' })).toBe(serverDefault);
  expect(envSessionTtlSeconds({ [ENV_SESSION_TTL_VAR]: '90.5' })).toBe(90.5);
  expect(envSessionTtlSeconds({ [ENV_SESSION_TTL_VAR]: '0' })).toBe(0); // never expire, as on the server
  expect(() => envSessionTtlSeconds({ [ENV_SESSION_TTL_VAR]: 'soon' })).toThrow(ENV_SESSION_TTL_VAR);
  expect(() => envSessionTtlSeconds({ [ENV_SESSION_TTL_VAR]: '-1' })).toThrow(ENV_SESSION_TTL_VAR);
});

test('TTL 0 never expires a session', async () => {
  const clock = { now: 0 };
  const activities = createEnvActivities({
    envQueue: 'q',
    sessionTtlMs: 0,
    now: () => clock.now,
    envFactory: () => new BuiltinTextEnv(),
  });
  await activities.envReset({ episodeId: 'e', spec });
  clock.now += 365 * 24 * 3600_000;
  await activities.envReset({ episodeId: 'other', spec });
  await expect(activities.envStep({ episodeId: 'e', stepIndex: 0, action: 'look' })).resolves.toBeDefined();
});
