/**
 * One live process per stable env queue: a second worker with the same worker id is refused while
 * the first process lives (two env servers behind one queue lose every episode's session), and is
 * let in at once after the first is killed with kill -9. The pure rule (which pollers count as
 * live) is checked on its own first.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  activityPollers,
  assertEnvQueueFree,
  EnvQueueInUseError,
  isProcessAlive,
  livePollersOf,
  REMOTE_POLLER_WINDOW_MS,
  type PollerContext,
} from '../../../src/env-queue-guard';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { createStepHrlWorker } from '../../../src/worker';
import { startCrashWorker } from '../../support/crash-worker-process';
import { connectTestTemporal, queueFor, sharedBundle, testAddress, type TestTemporal } from '../../support/temporal';

describe('which pollers belong to another live process', () => {
  const now = 1_000_000_000;
  const ctx: PollerContext = {
    selfIdentity: '100@here',
    host: 'here',
    now,
    isAlive: (pid) => pid === 200,
  };

  test('this process is never "another" one', () => {
    expect(livePollersOf([{ identity: '100@here', lastAccessMs: now }], ctx)).toEqual([]);
  });

  test('same machine: live while the process exists, whenever it last polled', () => {
    const live = livePollersOf(
      [
        { identity: '200@here', lastAccessMs: now - 5 * 60_000 },
        { identity: '300@here', lastAccessMs: now }, // killed just now: its poll is recent, its process gone
      ],
      ctx,
    );
    expect(live.map((p) => [p.pid, p.sameHost])).toEqual([[200, true]]);
  });

  test('another machine: live when it polled within the window', () => {
    const live = livePollersOf(
      [
        { identity: '200@there', lastAccessMs: now - REMOTE_POLLER_WINDOW_MS + 1 },
        { identity: '201@there', lastAccessMs: now - REMOTE_POLLER_WINDOW_MS - 1 },
        { identity: 'custom-worker', lastAccessMs: now },
      ],
      ctx,
    );
    expect(live.map((p) => p.identity)).toEqual(['200@there', 'custom-worker']);
  });

  test('a cluster that forbids describing task queues runs unguarded; any other error is raised', async () => {
    const failing = (code: number) => ({
      describeTaskQueue: () => Promise.reject(Object.assign(new Error(`grpc ${code}`), { code })),
    });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await expect(assertEnvQueueFree(failing(7), 'default', 'q.env.x')).resolves.toBeUndefined();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('not guarding it'));
      await expect(assertEnvQueueFree(failing(14), 'default', 'q.env.x')).rejects.toThrow('grpc 14');
    } finally {
      warn.mockRestore();
    }
  });

  test('a zombie or missing process is not alive; this one is', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(2 ** 22 + 12345)).toBe(false); // above Linux's pid_max
  });
});

describe('a second worker on the same env queue (real server)', () => {
  let t: TestTemporal;
  beforeAll(async () => (t = await connectTestTemporal()));
  afterAll(async () => t?.close());

  function startWorkerProcess(taskQueue: string, workerId: string): ChildProcess {
    return startCrashWorker({
      CRASH_JOURNAL: path.join(mkdtempSync(path.join(os.tmpdir(), 'guard-')), 'journal.jsonl'),
      CRASH_SPEC: JSON.stringify({ env: 'builtin', task: 'water-plant', variation: 0 }),
      CRASH_TEMPORAL_ADDRESS: testAddress(),
      CRASH_TASK_QUEUE: taskQueue,
      CRASH_WORKER_ID: workerId,
    });
  }

  async function waitForPoller(queue: string, identity: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await activityPollers(t.client.workflowService, 'default', queue)).some((p) => p.identity === identity)) {
      if (Date.now() > deadline) throw new Error(`no poller ${identity} on ${queue}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const createHere = (taskQueue: string, workerId: string) =>
    sharedBundle().then((workflowBundle) =>
      createStepHrlWorker({
        connection: t.nativeConnection,
        namespace: 'default',
        taskQueue,
        workerId,
        workflowBundle,
        llm: new ScriptedLlmClient([]),
        envFactory: () => {
          throw new Error('not used');
        },
      }),
    );

  test('refused while the first process lives; let in at once after its kill -9', async () => {
    const taskQueue = queueFor('guard');
    const workerId = 'shared-id';
    const envQueue = `${taskQueue}.env.${workerId}`;
    const first = startWorkerProcess(taskQueue, workerId);
    try {
      await waitForPoller(envQueue, `${first.pid}@${os.hostname()}`);
      const refused = await createHere(taskQueue, workerId).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(EnvQueueInUseError);
      expect((refused as Error).message).toContain(`pid ${first.pid} on this machine`);

      // Another worker id is another queue: not refused.
      const other = await createHere(taskQueue, 'another-id');
      await other.run(Promise.resolve());
    } finally {
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
    }
    // The dead process's poll is still listed (and recent), but its pid is gone: the queue is free.
    expect((await activityPollers(t.client.workflowService, 'default', envQueue)).map((p) => p.identity)).toContain(
      `${first.pid}@${os.hostname()}`,
    );
    const second = await createHere(taskQueue, workerId);
    await second.run(Promise.resolve());
  });
});
