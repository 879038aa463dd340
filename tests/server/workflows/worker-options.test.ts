/**
 * The options `createStepHrlWorker` gives the SDK's workers (issue 17 item 7), read from the calls
 * to `Worker.create` with nothing started: the sticky schedule-to-start timeout is long enough
 * that a loaded worker keeps its cached workflows (3 s sent workflow tasks that waited behind busy
 * slots to another worker, which replayed the whole history), and the workers whose activities
 * heartbeat cap the heartbeat throttle so every heartbeat timeout has margin.
 */
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { msToNumber } from '@temporalio/common/lib/time';
import { HEARTBEAT_THROTTLE_MS, HEARTBEAT_TIMEOUT_MS } from '../../../src/activities/types';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { BuiltinTextEnv } from '../../../src/envs/builtin';
import { createStepHrlWorker, SHUTDOWN_GRACE_TIME, STICKY_QUEUE_TIMEOUT, type WorkerTuning } from '../../../src/worker';

async function createdOptions(tuning?: WorkerTuning): Promise<WorkerOptions[]> {
  const created: WorkerOptions[] = [];
  const spy = jest.spyOn(Worker, 'create').mockImplementation((options: WorkerOptions) => {
    created.push(options);
    return Promise.resolve({ getState: () => 'STOPPED', shutdown: () => undefined } as unknown as Worker);
  });
  try {
    await createStepHrlWorker({
      connection: {} as NativeConnection,
      namespace: 'default',
      taskQueue: 'opts',
      workerId: undefined,
      llm: new ScriptedLlmClient([]),
      envFactory: () => new BuiltinTextEnv(),
      workflowBundle: { code: '' },
      ...(tuning && { tuning }),
    });
  } finally {
    spy.mockRestore();
  }
  return created;
}

test('the sticky queue timeout is at least 10 s (the SDK default), and the shared-queue worker uses it', async () => {
  expect(msToNumber(STICKY_QUEUE_TIMEOUT)).toBeGreaterThanOrEqual(10_000);
  const [main] = await createdOptions();
  expect(main!.taskQueue).toBe('opts');
  expect(msToNumber(main!.stickyQueueScheduleToStartTimeout!)).toBe(msToNumber(STICKY_QUEUE_TIMEOUT));
});

test('a tuning override still wins', async () => {
  const [main] = await createdOptions({ stickyQueueScheduleToStartTimeout: '30s' });
  expect(main!.stickyQueueScheduleToStartTimeout).toBe('30s');
});

test('the workers that run heartbeating activities cap the throttle at half the heartbeat timeout or less', async () => {
  const [main, env] = await createdOptions();
  for (const w of [main!, env!]) {
    expect(w.interceptors?.activity?.length).toBeGreaterThan(0);
    expect(msToNumber(w.maxHeartbeatThrottleInterval!)).toBe(HEARTBEAT_THROTTLE_MS);
  }
  expect(HEARTBEAT_TIMEOUT_MS).toBeGreaterThanOrEqual(2 * HEARTBEAT_THROTTLE_MS);
});

test('every worker drains running activities on shutdown, and each process gets its own env queue and identity', async () => {
  const first = await createdOptions();
  const second = await createdOptions();
  for (const w of first) expect(msToNumber(w.shutdownGraceTime!)).toBe(msToNumber(SHUTDOWN_GRACE_TIME));
  expect(msToNumber(SHUTDOWN_GRACE_TIME)).toBeGreaterThanOrEqual(10_000);
  const [, env1] = first;
  const [, env2] = second;
  expect(env1!.taskQueue).toMatch(/^opts\.env\.[0-9a-z]{1,13}$/);
  expect(env1!.taskQueue).not.toBe(env2!.taskQueue); // a fresh incarnation per worker
  expect(env1!.identity).toContain(` sh:${env1!.taskQueue.split('.').at(-1)}`);
});
