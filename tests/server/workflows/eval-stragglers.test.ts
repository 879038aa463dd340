/**
 * An eval never waits for a slow episode to continue as new, on the real server with the built-in
 * env: the running episodes are abandoned to the next run, which counts each outcome once (the
 * episode's signal, or the fallback look at a straggler that ended without one) and never starts
 * an episode again; a cancel reaches an earlier run's stragglers and closes their env sessions;
 * and the eval's progress is followed live by the `waitForEvalChange` long-poll.
 */
import { fetchEvalResults, startOrAttachEval, type OpenedEval } from '../../../src/eval/client';
import type { EvalInput } from '../../../src/episode/eval-records';
import type { EvalPlanEpisode } from '../../../src/episode/eval-types';
import type { EvalProgress } from '../../../src/episode/eval-types';
import { BUILTIN_TASKS, goldSubtasks } from '../../../src/envs/builtin';
import { ExpertRouterClient } from '../../../src/llm/expert-router';
import type { CallOptions, LlmClient, LlmRequest, LlmResponse } from '../../../src/llm/types';
import { evalProgressFeed } from '../../../src/cli/commands/eval-follow';
import { evalEpisodeId, evalProgressQuery } from '../../../src/workflows/eval';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import { countingFactory } from '../../support/counting-envs';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const SLOW = 0; // the index of the deliberately slow episode

function plan(): EvalPlanEpisode[] {
  return BUILTIN_TASKS.slice(0, 5).map((task) => ({
    spec: { env: 'builtin' as const, task, variation: 0 },
    group: task,
  }));
}

/** The scripted expert; the calls of episode {@link SLOW} take `slowMs` each, the others none. */
function expertWithStraggler(evalId: string, episodes: EvalPlanEpisode[], slowMs: number): LlmClient {
  const specs = new Map(episodes.map((e, i) => [evalEpisodeId(evalId, i), e.spec]));
  const expert = new ExpertRouterClient({
    specOf: (id) => specs.get(id),
    planOf: async (spec) => goldSubtasks(spec),
    profile: 'chat',
  });
  return {
    modelId: expert.modelId,
    async complete(request: LlmRequest, options?: CallOptions): Promise<LlmResponse> {
      if (options?.episodeId === evalEpisodeId(evalId, SLOW)) await new Promise((r) => setTimeout(r, slowMs));
      return expert.complete(request, options);
    },
  };
}

function input(episodes: EvalPlanEpisode[], extra: Partial<EvalInput> = {}): EvalInput {
  return {
    agent: 'step-hrl',
    selection: 'straggler test',
    env: 'builtin',
    config: {},
    episodes,
    concurrency: 2,
    episodesPerRun: 1,
    stragglerPollSeconds: 1,
    ...extra,
  };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until a run later than the first reports the slow episode still running, and checks it is. */
async function stragglerCarried(opened: OpenedEval, evalId: string): Promise<EvalProgress> {
  const slowId = evalEpisodeId(evalId, SLOW);
  const seen = await until(
    () => opened.handle.query(evalProgressQuery),
    (p) => p.runs >= 2 && p.running.includes(slowId),
  );
  expect((await t.client.workflow.getHandle(slowId).describe()).status.name).toBe('RUNNING');
  return seen;
}

test('the eval continues as new while a slow episode runs, and counts its outcome once; no episode starts twice', async () => {
  const taskQueue = queueFor('eval-straggler');
  const evalId = `eval-${taskQueue}`;
  const episodes = plan();
  const counting = countingFactory();
  const llm = expertWithStraggler(evalId, episodes, 1500);
  const result = await withWorker(t, { taskQueue, llm, envFactory: counting.factory }, async () => {
    const opened = await startOrAttachEval(t.client, evalId, input(episodes), taskQueue);
    await stragglerCarried(opened, evalId); // a later run started before the straggler finished
    return opened.handle.result();
  });
  expect(result.cancelled).toBe(false);
  expect(result.runs).toBeGreaterThanOrEqual(3);
  expect(result.totals).toMatchObject({ done: episodes.length, won: episodes.length, failed: 0 });
  for (const e of episodes) expect(counting.resets.get(`${e.spec.task}#0`)).toBe(1); // none started twice
  expect(counting.openNow()).toBe(0);
  const { results } = await fetchEvalResults(t.client, evalId);
  expect(results.outcomes.map((o) => o.index)).toEqual(episodes.map((_, i) => i));
  expect(results.outcomes.every((o) => o.status === 'env-done')).toBe(true);
}, 300_000);

test('a straggler terminated by Temporal is counted as failed by the fallback look', async () => {
  const taskQueue = queueFor('eval-straggler-terminated');
  const evalId = `eval-${taskQueue}`;
  const episodes = plan();
  const counting = countingFactory();
  const llm = expertWithStraggler(evalId, episodes, 3000);
  const result = await withWorker(t, { taskQueue, llm, envFactory: counting.factory }, async () => {
    const opened = await startOrAttachEval(t.client, evalId, input(episodes), taskQueue);
    await stragglerCarried(opened, evalId);
    await t.client.workflow.getHandle(evalEpisodeId(evalId, SLOW)).terminate('terminated by the test');
    return opened.handle.result();
  });
  expect(result.totals).toMatchObject({ done: episodes.length, won: episodes.length - 1, failed: 1 });
  for (const e of episodes) expect(counting.resets.get(`${e.spec.task}#0`)).toBe(1);
  const { results } = await fetchEvalResults(t.client, evalId);
  expect(results.outcomes).toHaveLength(episodes.length);
  expect(results.outcomes[SLOW]).toMatchObject({ status: 'failed', error: expect.stringContaining('terminated') });
}, 300_000);

test("a cancel reaches an earlier run's straggler, which closes its env session before the eval returns", async () => {
  const taskQueue = queueFor('eval-straggler-cancel');
  const evalId = `eval-${taskQueue}`;
  const episodes = plan();
  const counting = countingFactory();
  const llm = expertWithStraggler(evalId, episodes, 3000);
  const result = await withWorker(t, { taskQueue, llm, envFactory: counting.factory }, async () => {
    const opened = await startOrAttachEval(t.client, evalId, input(episodes, { stragglerPollSeconds: 60 }), taskQueue);
    await stragglerCarried(opened, evalId);
    const cancelledAt = Date.now();
    await opened.handle.cancel(); // what the Web UI and `temporal workflow cancel` do
    const returned = await opened.handle.result();
    // The straggler's own report, not the minute-long fallback look, ended the wait.
    expect(Date.now() - cancelledAt).toBeLessThan(40_000);
    expect(counting.openNow()).toBe(0); // closed before the eval returned, with the worker still up
    // The straggler reported to the eval, then completes in one more workflow task of its own: wait
    // for it with the worker up (a test that stopped the worker here would leave it running).
    await t.client.workflow.getHandle(evalEpisodeId(evalId, SLOW)).result();
    return returned;
  });
  expect(result.cancelled).toBe(true);
  const slow = t.client.workflow.getHandle(evalEpisodeId(evalId, SLOW));
  expect((await slow.describe()).status.name).toBe('COMPLETED'); // ended `cancelled`, never terminated
  expect((await slow.result()).status).toBe('cancelled');
  expect(result.totals?.cancelled).toBeGreaterThanOrEqual(1);
  const { results } = await fetchEvalResults(t.client, evalId);
  expect(results.outcomes[SLOW]).toMatchObject({ index: SLOW, status: 'cancelled' });
}, 300_000);

test('the progress of a running eval is followed by the long-poll, each change as it happens', async () => {
  const taskQueue = queueFor('eval-long-poll');
  const evalId = `eval-${taskQueue}`;
  const episodes = plan();
  const llm = expertWithStraggler(evalId, episodes, 300);
  const seen: EvalProgress[] = [];
  await withWorker(t, { taskQueue, llm }, async () => {
    const opened = await startOrAttachEval(t.client, evalId, input(episodes, { episodesPerRun: 100 }), taskQueue);
    const next = evalProgressFeed(t.client, evalId);
    while (seen.at(-1)?.done !== episodes.length) {
      const p = await next();
      if (p) seen.push(p);
    }
    return opened.handle.result();
  });
  // Every answer after the first is a change (a new version), and every finished episode was seen.
  const versions = seen.map((p) => p.version);
  expect(new Set(versions).size).toBe(versions.length);
  const done = seen.map((p) => p.done);
  expect(done).toEqual([...done].sort((a, b) => a - b));
  expect(seen.length).toBeGreaterThan(2);
  const history = await t.client.workflow.getHandle(evalId).fetchHistory();
  const polls = history.events!.filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'waitForEvalChange',
  );
  expect(polls.length).toBeGreaterThanOrEqual(seen.length - 1);
}, 300_000);

test('`eval show --follow` follows a running eval from another process to its end, then prints its results', async () => {
  ensureBuilt();
  const taskQueue = queueFor('eval-show-follow');
  const evalId = `eval-${taskQueue}`;
  const episodes = plan();
  const llm = expertWithStraggler(evalId, episodes, 300);
  const show = await withWorker(t, { taskQueue, llm }, async () => {
    await startOrAttachEval(t.client, evalId, input(episodes, { episodesPerRun: 100, concurrency: 1 }), taskQueue);
    return runCli(['eval', 'show', evalId, '--follow', '--address', testAddress(), '--json'], cleanEnv(), 240_000);
  });
  expect(show.code).toBe(0);
  const events = show.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; done?: number; finished?: boolean });
  const progress = events.filter((e) => e.type === 'eval-progress').map((e) => e.done!);
  expect(progress.length).toBeGreaterThan(1); // seen live, episode by episode
  expect(progress.at(-1)).toBe(episodes.length);
  expect(events.at(-1)).toMatchObject({ type: 'eval-results', finished: true });
  const history = await t.client.workflow.getHandle(evalId).fetchHistory();
  const polls = history.events!.filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'waitForEvalChange',
  );
  expect(polls.length).toBeGreaterThanOrEqual(progress.length - 1); // by the long-poll, not a query a second
}, 300_000);
