/**
 * Durability: a worker process SIGKILLed in the middle of a subtask (blocked before applying a
 * step) is restarted; the episode completes, the lost env session is re-driven from the recorded
 * prefix, and no LLM call or recorded env step is repeated — counted from the workers' journals.
 * An env that keeps losing its session ends the episode after `maxRedrives`, never loops.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { BuiltinTextEnv, goldSubtasks } from '../../../src/envs/builtin';
import { EnvError, type EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { startCrashWorker } from '../../support/crash-worker-process';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

interface Entry {
  pid: number;
  kind: 'ready' | 'reset' | 'step' | 'blocked' | 'llm';
  session?: string;
  n?: number;
  action?: string;
}

const readJournal = (file: string): Entry[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Entry)
    : [];

async function waitFor(file: string, what: (e: Entry[]) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what(readJournal(file))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting on journal ${file}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('worker killed mid-subtask and restarted: episode completes, nothing repeated', async () => {
  const spec: EnvSpec = { env: 'builtin', task: 'water-plant', variation: 5 };
  const plan = goldSubtasks(spec);
  const gold = plan.flatMap((p) => p.actions);
  // Block inside a subtask that has more than one action, after at least one step of it.
  let blockAt = 0;
  for (const p of plan) {
    if (p.actions.length > 1 && blockAt > 0) {
      blockAt += 1;
      break;
    }
    blockAt += p.actions.length;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crash-'));
  const journal = path.join(dir, 'journal.jsonl');
  const taskQueue = queueFor('crash');
  const common = {
    CRASH_JOURNAL: journal,
    CRASH_SPEC: JSON.stringify(spec),
    CRASH_TEMPORAL_ADDRESS: testAddress(),
    CRASH_TASK_QUEUE: taskQueue,
    CRASH_WORKER_ID: 'crash-worker', // a label only: the restarted process polls a new env queue (its incarnation)
  };

  const first = startCrashWorker({ ...common, CRASH_BLOCK_AT_STEP: String(blockAt) });
  const episodeId = `ep-${taskQueue}`;
  await waitFor(journal, (e) => e.some((x) => x.kind === 'ready'));
  const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec } });
  await waitFor(journal, (e) => e.some((x) => x.kind === 'blocked'));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  const second = startCrashWorker(common);
  try {
    const result = await handle.result();
    expect(result.won).toBe(true);
    expect(result.redrives).toBe(1);
    const transitions = await fetchTransitions(t.client, episodeId);
    expect(transitions.map((tr) => tr.action)).toEqual(gold);
    expect(transitions.map((tr) => tr.stepIndex)).toEqual([...gold.keys()]);

    const entries = readJournal(journal);
    // LLM calls: exactly the ones the record holds (one high per subtask, one low per step, one progress per non-final step).
    const llmCalls = entries.filter((e) => e.kind === 'llm').length;
    expect(llmCalls).toBe(plan.length + gold.length + (gold.length - 1));
    // Env steps: the dead session applied steps 0..blockAt-1; the new session replayed exactly those
    // (re-drive), then applied each remaining step once.
    const sessions = [...new Set(entries.filter((e) => e.kind === 'step').map((e) => e.session))];
    expect(sessions).toHaveLength(2);
    const stepsOf = (s: string | undefined) =>
      entries.filter((e) => e.kind === 'step' && e.session === s).map((e) => e.action);
    expect(stepsOf(sessions[0])).toEqual(gold.slice(0, blockAt));
    expect(stepsOf(sessions[1])).toEqual(gold); // prefix replayed, then the rest, each once
  } finally {
    second.kill('SIGTERM');
  }
});

test('worker killed after acquireEnvQueue, before envReset: a new worker (new id) finishes with the uninterrupted record', async () => {
  const spec: EnvSpec = { env: 'builtin', task: 'find-key-open-chest', variation: 2 };
  const plan = goldSubtasks(spec);

  // The uninterrupted run, in process, is the reference record.
  const refQueue = queueFor('reset-window-ref');
  const reference = await withWorker(
    t,
    { taskQueue: refQueue, llm: new ScriptedLlmClient(expertPolicyRules(plan, 'chat')) },
    async () =>
      (await startEpisode(t.client, { episodeId: `ep-${refQueue}`, taskQueue: refQueue, config: { spec } })).result(),
  );
  const referenceTransitions = await fetchTransitions(t.client, `ep-${refQueue}`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'crash-reset-'));
  const journal = path.join(dir, 'journal.jsonl');
  const taskQueue = queueFor('reset-window');
  const common = {
    CRASH_JOURNAL: journal,
    CRASH_SPEC: JSON.stringify(spec),
    CRASH_TEMPORAL_ADDRESS: testAddress(),
    CRASH_TASK_QUEUE: taskQueue,
  };
  const first = startCrashWorker({ ...common, CRASH_WORKER_ID: 'doomed', CRASH_BLOCK_AT_RESET: '1' });
  const episodeId = `ep-${taskQueue}`;
  await waitFor(journal, (e) => e.some((x) => x.kind === 'ready'));
  const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec } });
  await waitFor(journal, (e) => e.some((x) => x.kind === 'blocked'));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  // A new process: nothing will ever poll the dead worker's env queue again.
  const second = startCrashWorker({ ...common, CRASH_WORKER_ID: 'replacement' });
  try {
    const result = await handle.result();
    const comparable = (r: typeof reference) => ({ ...r, episodeId: undefined, runs: undefined });
    expect(comparable(result)).toEqual(comparable(reference));
    expect(result.redrives).toBe(0); // nothing was applied on the dead worker: a fresh reset, not a re-drive
    const transitions = await fetchTransitions(t.client, episodeId);
    const strip = (tr: (typeof transitions)[number]) => ({
      ...tr,
      episodeId: undefined,
      envLatencyMs: undefined,
      low: { ...tr.low, latencyMs: undefined },
      progress: tr.progress && { ...tr.progress, latencyMs: undefined },
    });
    expect(transitions.map(strip)).toEqual(referenceTransitions.map(strip));
    const entries = readJournal(journal);
    expect(entries.filter((e) => e.kind === 'reset').map((e) => e.pid)).toEqual([second.pid]);
  } finally {
    second.kill('SIGTERM');
  }
});

test('an env session that is lost again after every re-drive ends the episode with env-error, not a loop', async () => {
  const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 1 };
  let sessions = 0;
  // Every session dies after two steps, as with an env server that keeps crashing.
  const flapping = () => {
    sessions += 1;
    const inner = new BuiltinTextEnv();
    let steps = 0;
    return {
      reset: (s: EnvSpec) => inner.reset(s),
      step: async (a: string) => {
        if (++steps > 2) throw new EnvError('env server restarted; session unknown', 'SessionLost');
        return inner.step(a);
      },
      close: () => inner.close(),
    };
  };
  const taskQueue = queueFor('flapping');
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'chat'));
  const result = await withWorker(t, { taskQueue, llm, envFactory: flapping }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, maxRedrives: 2 } })).result(),
  );
  expect(result.status).toBe('env-error');
  expect(result.error).toMatch(/gave up after 2 re-drives/);
  expect(result.redrives).toBe(2);
  expect(sessions).toBe(3); // the first session and two re-driven ones
  expect((await fetchTransitions(t.client, episodeId)).length).toBe(result.steps);
});
