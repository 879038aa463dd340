/**
 * `resume` continues a terminated episode (issue 9 item 3): an episode is terminated in the middle
 * of a subtask (its policy call blocked), then `resumeEpisode` (the code path of `step-hrl resume`)
 * starts a new run under the same id from the recorded prefix; a fresh worker re-drives the env
 * through it and finishes. The record read back by `fetchTransitions` equals an uninterrupted
 * run's. A completed episode is not run again.
 */
import type { RecordedTransition } from '../../../src/agent/records';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import type { LlmClient, LlmRequest, LlmResponse } from '../../../src/llm/types';
import { resumeEpisode } from '../../../src/resume';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import { buildIdOfBundle } from '../../../src/worker';
import {
  connectTestTemporal,
  queueFor,
  sharedBundle,
  testAddress,
  withWorker,
  type TestTemporal,
} from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };
const plan = goldSubtasks(spec);

/** The expert policy; call number `blockAt` (1-based) waits until `release()`. */
class GatedExpert implements LlmClient {
  readonly modelId = 'gated-expert';
  calls = 0;
  blocked = false;
  private readonly inner = new ScriptedLlmClient(expertPolicyRules(plan, 'chat'));
  private open: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  constructor(private readonly blockAt = Infinity) {}
  async complete(request: LlmRequest): Promise<LlmResponse> {
    this.calls += 1;
    if (this.calls >= this.blockAt) {
      this.blocked = true;
      await this.gate;
    }
    return this.inner.complete(request);
  }
  release(): void {
    this.open();
  }
}

/** A transition without what measures wall time. */
function content(tr: RecordedTransition) {
  const untimed = <T extends { latencyMs: number } | undefined>(call: T) => call && { ...call, latencyMs: 0 };
  return JSON.stringify({ ...tr, envLatencyMs: 0, low: untimed(tr.low), progress: untimed(tr.progress) });
}

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The uninterrupted run (transitions name their episode: compared without the id). */
let cleanResult: Awaited<ReturnType<typeof runClean>>;
async function runClean() {
  const taskQueue = queueFor('resume-clean');
  const llm = new GatedExpert();
  const episodeId = `ep-${taskQueue}`;
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec } })).result(),
  );
  const transitions = await fetchTransitions(t.client, episodeId);
  return {
    result,
    calls: llm.calls,
    transitions,
    expected: transitions.map((tr) => content({ ...tr, episodeId: '' })),
  };
}
beforeAll(async () => {
  cleanResult = await runClean();
  expect(cleanResult.result.won).toBe(true);
});

/** Starts the episode and terminates it while a call in the middle of its second subtask hangs (plan: 6, 2, 1 steps). */
async function terminatedEpisode(name: string): Promise<{ episodeId: string; taskQueue: string }> {
  const taskQueue = queueFor(name);
  const episodeId = `ep-${taskQueue}`;
  const gated = new GatedExpert(Math.ceil(cleanResult.calls * 0.8));
  await withWorker(t, { taskQueue, llm: gated }, async () => {
    const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec } });
    await until(() => gated.blocked);
    await handle.terminate('test: killed mid-subtask');
    gated.release(); // the hung call returns into a terminated run: its result is dropped
  });
  expect((await t.client.workflow.getHandle(episodeId).describe()).status.name).toBe('TERMINATED');
  return { episodeId, taskQueue };
}

test('a terminated episode resumed from its recorded prefix completes with the uninterrupted record', async () => {
  const { episodeId, taskQueue } = await terminatedEpisode('resume-terminated');
  // Resume with a fresh worker (a new env queue: the old session is gone).
  const resumed = await withWorker(t, { taskQueue, llm: new GatedExpert() }, async () => {
    const r = await resumeEpisode(t.client, episodeId);
    return { ...r, result: await r.handle.result() };
  });
  expect(resumed.started).toBe(true);
  expect(resumed.taskQueue).toBe(taskQueue); // read from the episode, not assumed
  expect(resumed.prefixSubtasks).toBeGreaterThan(0); // kept whole subtasks ...
  expect(resumed.prefixSubtasks).toBeLessThan(plan.length); // ... and redid the interrupted one
  expect(resumed.result.status).toBe('env-done');
  expect(resumed.result.won).toBe(true);
  expect(resumed.result.subtasks).toEqual(cleanResult.result.subtasks);
  expect(resumed.result.tokens).toBe(cleanResult.result.tokens);
  expect(resumed.result.steps).toBe(cleanResult.result.steps);
  const record = await fetchTransitions(t.client, episodeId);
  expect(record.every((tr) => tr.episodeId === episodeId)).toBe(true);
  expect(record.map((tr) => content({ ...tr, episodeId: '' }))).toEqual(cleanResult.expected);

  // A completed episode is never run again.
  await expect(resumeEpisode(t.client, episodeId)).rejects.toThrow(/completed: only a failed, terminated/);
});

test("`step-hrl resume` continues a terminated episode on the episode's own task queue", async () => {
  ensureBuilt();
  const { episodeId, taskQueue } = await terminatedEpisode('resume-cli');
  // The CLI's default queue is `step-hrl`: it must read the episode's queue to finish it. Its code
  // (dist/, compiled by tsc) is this test's (src/, compiled by ts-jest) under another build id:
  // named as this one's, the build that started the episode.
  const run = await runCli(
    ['resume', episodeId, '--llm', 'expert'],
    cleanEnv({ TEMPORAL_ADDRESS: testAddress(), STEP_HRL_BUILD_ID: buildIdOfBundle(await sharedBundle()) }),
    90_000,
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/as a new run from its recorded prefix \(1 subtasks kept\)/);
  const description = await t.client.workflow.getHandle(episodeId).describe();
  expect(description.status.name).toBe('COMPLETED');
  expect(description.taskQueue).toBe(taskQueue);
  // The CLI's expert is another model id than the test's: compare what the agent did and saw.
  const essence = (tr: RecordedTransition) =>
    JSON.stringify([
      tr.subtaskIndex,
      tr.stepIndex,
      tr.subtask,
      tr.progressBefore,
      tr.progressAfter,
      tr.observation,
      tr.action,
      tr.nextObservation,
      tr.score,
      tr.done,
    ]);
  const record = await fetchTransitions(t.client, episodeId);
  expect(record.map(essence)).toEqual(cleanResult.transitions.map(essence));
});
