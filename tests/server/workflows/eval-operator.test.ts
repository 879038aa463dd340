/**
 * What an operator does to a running eval, on the real server with the built-in env: cancel it from
 * Temporal (UI, `temporal workflow cancel`), pause and resume it, change its concurrency, retry its
 * failed episodes; and the config its episodes record is complete, so a default changed by the next
 * release never changes (or breaks the replay of) an eval episode in flight.
 */
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { DEFAULT_EPISODE_CONFIG } from '../../../src/agent/config';
import { fetchEvalResults, startOrAttachEval } from '../../../src/eval/client';
import type { EvalInput } from '../../../src/episode/eval-records';
import type { EvalPlanEpisode } from '../../../src/episode/eval-types';
import { BUILTIN_TASKS, goldSubtasks } from '../../../src/envs/builtin';
import { ExpertRouterClient } from '../../../src/llm/expert-router';
import type { CallOptions, LlmClient, LlmRequest, LlmResponse } from '../../../src/llm/types';
import { StepHrlStatus } from '../../../src/episode/search-attributes';
import type { EpisodeResult } from '../../../src/workflows/episode';
import { evalEpisodeId } from '../../../src/episode/ids';
import {
  evalProgressQuery,
  pauseEvalUpdate,
  resumeEvalUpdate,
  retryFailedUpdate,
  setConcurrencyUpdate,
} from '../../../src/episode/messages';
import { countingFactory } from '../../support/counting-envs';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

function plan(seeds: number, tasks = BUILTIN_TASKS): EvalPlanEpisode[] {
  return tasks.flatMap((task) =>
    Array.from({ length: seeds }, (_, variation) => ({
      spec: { env: 'builtin' as const, task, variation },
      group: task,
    })),
  );
}

/** The scripted expert, `delayMs` slower per call: episodes stay in flight long enough to act on. */
function slowExpert(evalId: string, episodes: EvalPlanEpisode[], delayMs: number): LlmClient {
  const specs = new Map(episodes.map((e, i) => [evalEpisodeId(evalId, i), e.spec]));
  const expert = new ExpertRouterClient({
    specOf: (id) => specs.get(id),
    planOf: async (spec) => goldSubtasks(spec),
    profile: 'chat',
  });
  return {
    modelId: expert.modelId,
    async complete(request: LlmRequest, options?: CallOptions): Promise<LlmResponse> {
      await new Promise((r) => setTimeout(r, delayMs));
      return expert.complete(request, options);
    },
  };
}

function input(episodes: EvalPlanEpisode[], extra: Partial<EvalInput> = {}): EvalInput {
  return {
    agent: 'step-hrl',
    selection: 'operator test',
    env: 'builtin',
    config: {},
    episodes,
    concurrency: 3,
    ...extra,
  };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an eval cancelled through Temporal ends cancelled, its episodes close their env sessions and none is terminated', async () => {
  const taskQueue = queueFor('eval-temporal-cancel');
  const evalId = `eval-${taskQueue}`;
  const episodes = plan(2);
  const counting = countingFactory();
  const llm = slowExpert(evalId, episodes, 150);
  const result = await withWorker(t, { taskQueue, llm, envFactory: counting.factory }, async () => {
    const opened = await startOrAttachEval(t.client, evalId, input(episodes), taskQueue);
    await until(
      () => opened.handle.query(evalProgressQuery),
      (p) => p.done >= 1 && p.running.length === 3,
    );
    await opened.handle.cancel(); // what the Web UI and `temporal workflow cancel` do
    return opened.handle.result();
  });
  expect(result.cancelled).toBe(true);
  const description = await t.client.workflow.getHandle(evalId).describe();
  expect(description.status.name).toBe('COMPLETED'); // returned its partial results, not failed
  expect(description.typedSearchAttributes.get(StepHrlStatus)).toBe('cancelled');

  // Every env session opened was closed, and every episode it started had closed, by the time the
  // eval returned (a worker stopping with the eval must not leave one open).
  expect(counting.openNow()).toBe(0);
  let cancelledEpisodes = 0;
  let started = 0;
  for (let index = 0; index < episodes.length; index++) {
    const handle = t.client.workflow.getHandle(evalEpisodeId(evalId, index));
    const child = await handle.describe().catch(() => undefined);
    if (!child) continue; // never started: stays unplayed
    started += 1;
    expect(child.status.name).toBe('COMPLETED'); // closed, and never TERMINATED by the parent's close
    const episode: EpisodeResult = await handle.result();
    expect(['env-done', 'cancelled']).toContain(episode.status);
    if (episode.status === 'cancelled') cancelledEpisodes += 1;
  }
  expect(cancelledEpisodes).toBeGreaterThanOrEqual(1);
  expect(started).toBeLessThan(episodes.length);
  const { results } = await fetchEvalResults(t.client, evalId);
  expect(results.outcomes).toHaveLength(started);
  expect(results.outcomes.filter((o) => o.status === 'cancelled')).toHaveLength(cancelledEpisodes);
}, 300_000);

test('pause stops new starts, setConcurrency is validated and applied, resume finishes, retryFailed plays failed episodes again', async () => {
  const taskQueue = queueFor('eval-operator');
  const evalId = `eval-${taskQueue}`;
  // The first episode fails (no such built-in task): a failed workflow, counted, never stopping the eval.
  const episodes = [
    { spec: { env: 'builtin' as const, task: 'no-such-task', variation: 0 }, group: 'broken' },
    ...plan(1),
  ];
  const counting = countingFactory();
  const llm = slowExpert(evalId, episodes, 50);
  const result = await withWorker(t, { taskQueue, llm, envFactory: counting.factory }, async () => {
    const opened = await startOrAttachEval(t.client, evalId, input(episodes, { concurrency: 1 }), taskQueue);
    const { handle } = opened;
    await until(
      () => handle.query(evalProgressQuery),
      (p) => p.failed >= 1,
    );
    const paused = await handle.executeUpdate(pauseEvalUpdate);
    expect(paused.paused).toBe(true);
    // Nothing new starts while paused: once the running episode is done, `done` stays put.
    const idle = await until(
      () => handle.query(evalProgressQuery),
      (p) => p.running.length === 0,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect((await handle.query(evalProgressQuery)).done).toBe(idle.done);
    expect(idle.done).toBeLessThan(episodes.length);

    await expect(handle.executeUpdate(setConcurrencyUpdate, { args: [0] })).rejects.toThrow(WorkflowUpdateFailedError);
    expect((await handle.executeUpdate(setConcurrencyUpdate, { args: [4] })).concurrency).toBe(4);
    expect(await handle.executeUpdate(retryFailedUpdate)).toBe(1);
    await handle.executeUpdate(resumeEvalUpdate);
    const seen = await until(
      () => handle.query(evalProgressQuery),
      (p) => p.running.length > 1 || p.done === episodes.length,
    );
    expect(seen.running.length > 1 || seen.done === episodes.length).toBe(true);
    return handle.result();
  });
  expect(result.cancelled).toBe(false);
  expect(result.totals).toMatchObject({ done: episodes.length, failed: 1, won: episodes.length - 1 });
  expect(counting.resets.get('no-such-task#0')).toBe(2); // played again by retryFailed
  const { results } = await fetchEvalResults(t.client, evalId);
  expect(results.outcomes.map((o) => o.status)).toEqual(['failed', ...plan(1).map(() => 'env-done')]);
}, 300_000);

describe('a default changed by the next release', () => {
  const changed = { from: 'maxSubtasks: 0,', to: 'maxSubtasks: 1,' }; // the next release caps subtasks at 1
  let changedBundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
  beforeAll(async () => {
    changedBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../../src/workflows'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
      webpackConfigHook: (config) => {
        config.module!.rules!.unshift({
          test: /agent[\\/]config\.ts$/,
          enforce: 'pre',
          use: [{ loader: path.resolve(__dirname, '../../support/changed-default-loader.js'), options: changed }],
        });
        return config;
      },
    });
  }, 120_000);

  async function historyOf(workflowId: string) {
    return t.client.workflow.getHandle(workflowId).fetchHistory();
  }

  test('an eval episode records its complete config and replays on that release', async () => {
    const taskQueue = queueFor('eval-frozen-config');
    const evalId = `eval-${taskQueue}`;
    const episodes = plan(1, ['boil-water']);
    const llm = slowExpert(evalId, episodes, 0);
    await withWorker(t, { taskQueue, llm }, async () =>
      (
        await startOrAttachEval(t.client, evalId, input(episodes, { config: { maxSteps: 60 } }), taskQueue)
      ).handle.result(),
    );
    const childId = evalEpisodeId(evalId, 0);
    const episode: EpisodeResult = await t.client.workflow.getHandle(childId).result();
    expect(episode.subtasks.length).toBeGreaterThan(1); // a cap of 1 subtask would end it earlier
    const history = await historyOf(childId);
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    const config = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString('utf8')).config;
    for (const key of [...Object.keys(DEFAULT_EPISODE_CONFIG), 'highLevelWindow', 'spec'])
      expect(config).toHaveProperty(key);
    await Worker.runReplayHistory({ workflowBundle: changedBundle }, history, childId);
  }, 300_000);

  test('control: an episode recorded with a partial config (as 0.1 eval children were) fails that replay', async () => {
    const taskQueue = queueFor('partial-config');
    const workflowId = `partial-config-${taskQueue}`;
    const spec = { env: 'builtin' as const, task: 'boil-water', variation: 0 };
    const llm = new ExpertRouterClient({ specOf: () => spec, planOf: async (s) => goldSubtasks(s), profile: 'chat' });
    await withWorker(t, { taskQueue, llm }, async () =>
      t.client.workflow.execute('episodeWorkflow', {
        workflowId,
        taskQueue,
        args: [{ config: { spec, maxSteps: 60 } }],
      }),
    );
    await expect(
      Worker.runReplayHistory({ workflowBundle: changedBundle }, await historyOf(workflowId), workflowId),
    ).rejects.toThrow(DeterminismViolationError);
  }, 300_000);
});
