/**
 * Worker-specific env queues (issue 20 item 1), on the real server: two workers started at the same
 * moment on one task queue each get their own env queue, and every episode's env steps stay with
 * the one process that opened its session; after a kill -9 of the worker holding a session,
 * `releaseLostWork` (what `resume` runs) makes the episode re-drive on a live worker at once, where
 * without it the episode would wait out the dead worker's heartbeat and queue timeouts (here set to
 * 5 minutes).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { defineSignal } from '@temporalio/workflow';
import { temporal } from '@temporalio/proto';
import { eventTimeMs } from '../../../src/history-payloads';
import { releaseLostWork } from '../../../src/lost-worker';
import { incarnationOfEnvQueue } from '../../../src/activities/types';
import { parseIncarnationIdentity } from '../../../src/worker-incarnation';
import { startCrashWorker } from '../../support/crash-worker-process';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

test('two worker processes started at once get their own env queues and never share a session', async () => {
  const spec: EnvSpec = { env: 'builtin', task: 'water-plant', variation: 5 };
  const taskQueue = queueFor('two-workers');
  const journal = path.join(mkdtempSync(path.join(os.tmpdir(), 'two-workers-')), 'journal.jsonl');
  const common = {
    CRASH_JOURNAL: journal,
    CRASH_SPEC: JSON.stringify(spec),
    CRASH_TEMPORAL_ADDRESS: testAddress(),
    CRASH_TASK_QUEUE: taskQueue,
    CRASH_WORKER_ID: 'same-label', // a label only: it never makes two processes share a queue
  };
  const workers = [startCrashWorker(common), startCrashWorker(common)];
  try {
    await waitForJournal(journal, 'ready', 60_000, 2);
    const ids = Array.from({ length: 6 }, (_, i) => `ep-${taskQueue}-${i}`);
    const results = await Promise.all(
      ids.map(async (episodeId) => (await startEpisode(t.client, { episodeId, taskQueue, config: { spec } })).result()),
    );
    expect(results.map((r) => [r.won, r.redrives])).toEqual(ids.map(() => [true, 0]));
    const incarnations = new Set<string>();
    for (const episodeId of ids) {
      const calls = await envCalls(episodeId);
      expect(calls.length).toBeGreaterThan(3);
      // Every env call of the episode went to one queue, and was served by the incarnation it names.
      expect(new Set(calls.map((c) => c.queue)).size).toBe(1);
      for (const c of calls) expect(c.servedBy).toBe(incarnationOfEnvQueue(c.queue));
      incarnations.add(calls[0]!.servedBy!);
    }
    const servers = new Set(
      readFileSync(journal, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"kind":"reset"'))
        .map((l) => (JSON.parse(l) as { pid: number }).pid),
    );
    expect(incarnations.size).toBe(servers.size); // one incarnation per process that held sessions
  } finally {
    for (const w of workers) w.kill('SIGKILL');
  }
});

/** The env calls of an episode and its subtasks: the queue each was sent to and who started it. */
async function envCalls(episodeId: string): Promise<{ queue: string; servedBy?: string }[]> {
  const events = (await t.client.workflow.getHandle(episodeId).fetchHistory()).events ?? [];
  const children = events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
  const all = [
    events,
    ...(await Promise.all(
      children.map(async (id) => (await t.client.workflow.getHandle(id).fetchHistory()).events ?? []),
    )),
  ];
  const calls: { queue: string; servedBy?: string }[] = [];
  for (const history of all) {
    const byId = new Map<string, { queue: string; servedBy?: string }>();
    for (const e of history) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s && /^env(Reset|Step|Redrive|Close)$/.test(s.activityType?.name ?? '')) {
        const call = { queue: s.taskQueue?.name ?? '' };
        byId.set(String(e.eventId), call);
        calls.push(call);
      }
      const started = e.activityTaskStartedEventAttributes;
      const call = started && byId.get(String(started.scheduledEventId));
      if (call) call.servedBy = parseIncarnationIdentity(started.identity ?? '')?.id;
    }
  }
  return calls;
}

/**
 * A built-in episode whose worker process blocks in its step 2 and is then killed with -9: the
 * episode's session, its started env call and its workflows' stickiness are the dead process's.
 */
async function episodeOfKilledWorker(name: string) {
  const spec: EnvSpec = { env: 'builtin', task: 'water-plant', variation: 5 };
  const journal = path.join(mkdtempSync(path.join(os.tmpdir(), `${name}-`)), 'journal.jsonl');
  const taskQueue = queueFor(name);
  const first = startCrashWorker({
    CRASH_JOURNAL: journal,
    CRASH_SPEC: JSON.stringify(spec),
    CRASH_TEMPORAL_ADDRESS: testAddress(),
    CRASH_TASK_QUEUE: taskQueue,
    CRASH_BLOCK_AT_STEP: '2',
  });
  const episodeId = `ep-${taskQueue}`;
  await waitForJournal(journal, 'ready');
  // Waiting out the dead worker would take its heartbeat timeout, then 5 min on its queue.
  const config = { spec, envQueueTimeoutSeconds: 300 };
  const handle = await startEpisode(t.client, { episodeId, taskQueue, config });
  await waitForJournal(journal, 'blocked');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const plan = goldSubtasks(spec);
  const finish = () =>
    withWorker(t, { taskQueue, llm: new ScriptedLlmClient(expertPolicyRules(plan, 'chat')) }, () => handle.result());
  return { episodeId, handle, gold: plan.flatMap((p) => p.actions), finish };
}

test('after kill -9 of the worker holding the session, releaseLostWork re-drives at once, not after the timeouts', async () => {
  const { episodeId, handle, gold, finish } = await episodeOfKilledWorker('release-lost');
  const releasedAt = Date.now();
  const released = await releaseLostWork(t.client, [episodeId]);
  expect(released.failed).toEqual([expect.stringMatching(/\/envStep$/)]);
  expect(released.gone).toHaveLength(1);
  const result = await finish();
  expect(result.won).toBe(true);
  expect(result.redrives).toBe(1);
  expect(result.steps).toBe(gold.length);
  // The re-drive was scheduled within seconds of the release: under the 10 s heartbeat timeout alone.
  const events = (await handle.fetchHistory()).events ?? [];
  const redrive = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'envRedrive');
  expect(redrive).toBeDefined();
  expect(eventTimeMs(redrive!) - releasedAt).toBeLessThan(6_000);
});

test("a workflow task waiting on the dead worker's sticky queue moves to the shared queue at once, not after 10 s", async () => {
  const { episodeId, handle, finish } = await episodeOfKilledWorker('release-sticky');
  // Temporal does not know the worker died: a signal now schedules a workflow task on its sticky queue.
  const subtaskId = (await handle.describe()).raw.pendingChildren?.[0]?.workflowId;
  expect(subtaskId).toBeDefined();
  const subtask = t.client.workflow.getHandle(subtaskId!);
  await subtask.signal(defineSignal('nudge'));
  const waiting = (await subtask.describe()).raw.pendingWorkflowTask;
  expect(waiting?.state).toBe(temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED);

  const releasedAt = Date.now();
  const released = await releaseLostWork(t.client, [episodeId]);
  expect(released.unqueued).toEqual([subtaskId]);
  const result = await finish();
  expect(result.won).toBe(true);
  // The subtask's next workflow task ran on the shared queue within seconds, not after the 10 s
  // sticky schedule-to-start timeout (which would also show as a timed-out workflow task).
  const events = (await subtask.fetchHistory()).events ?? [];
  const taskTimedOut = events.some((e) => e.workflowTaskTimedOutEventAttributes);
  expect(taskTimedOut).toBe(false);
  const nextTask = events.find((e) => e.workflowTaskStartedEventAttributes && eventTimeMs(e) >= releasedAt);
  expect(eventTimeMs(nextTask!) - releasedAt).toBeLessThan(5_000);
});

async function waitForJournal(file: string, kind: string, timeoutMs = 60_000, count = 1): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const has = () =>
    existsSync(file) &&
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`"kind":"${kind}"`)).length >= count;
  while (!has()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${kind} in ${file}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
