/**
 * The EvalWorkflow on the real server with the built-in env: bounded concurrency, continue-as-new
 * that keeps every outcome, per-level tokens, and resuming (a worker that dies, an eval that was
 * terminated) without playing any finished episode again — counted as env resets per episode,
 * where every reset beyond the first must be a recorded re-drive.
 */
import { fetchEvalResults, openExistingEval, startOrAttachEval } from '../../../src/eval/client';
import type { EvalPlanEpisode } from '../../../src/episode/eval-types';
import { BUILTIN_TASKS, goldSubtasks } from '../../../src/envs/builtin';
import { ExpertRouterClient } from '../../../src/llm/expert-router';
import { evalEpisodeId, evalProgressQuery, type EvalInput } from '../../../src/workflows/eval';
import { countingFactory } from '../../support/counting-envs';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

function plan(seeds: number): EvalPlanEpisode[] {
  return BUILTIN_TASKS.flatMap((task) =>
    Array.from({ length: seeds }, (_, variation) => ({
      spec: { env: 'builtin' as const, task, variation },
      group: task,
    })),
  );
}

function expertFor(evalId: string, episodes: EvalPlanEpisode[]): ExpertRouterClient {
  const specs = new Map(episodes.map((e, i) => [evalEpisodeId(evalId, i), e.spec]));
  return new ExpertRouterClient({
    specOf: (id) => specs.get(id),
    planOf: async (spec) => goldSubtasks(spec),
    profile: 'chat',
  });
}

function input(episodes: EvalPlanEpisode[], extra: Partial<EvalInput> = {}): EvalInput {
  return {
    agent: 'step-hrl',
    selection: 'builtin test',
    env: 'builtin',
    config: { maxSteps: 60 },
    episodes,
    concurrency: 3,
    ...extra,
  };
}

test('plays every episode once at bounded concurrency, across continue-as-new, with tokens per level', async () => {
  const taskQueue = queueFor('eval-can');
  const evalId = `eval-${taskQueue}`;
  const episodes = plan(2);
  const counting = countingFactory();
  const result = await withWorker(
    t,
    { taskQueue, llm: expertFor(evalId, episodes), envFactory: counting.factory },
    async () => {
      const opened = await startOrAttachEval(t.client, evalId, input(episodes, { episodesPerRun: 4 }), taskQueue);
      return opened.handle.result();
    },
  );
  // 12 episodes, a new run each time 4 finish, at once (the running ones go on into the next run).
  expect(result.runs).toBeGreaterThanOrEqual(3);
  expect(result.outcomes).toBeUndefined(); // outcomes stay in the runs' histories
  expect(result.totals).toMatchObject({ done: 12, won: 12, failed: 0 });
  const { results } = await fetchEvalResults(t.client, evalId);
  expect(results.outcomes.map((o) => o.index)).toEqual([...episodes.keys()]);
  expect(results.outcomes.every((o) => o.won && o.status === 'env-done')).toBe(true);
  expect(results.outcomes.map((o) => o.group)).toEqual(episodes.map((e) => e.group));
  for (const o of results.outcomes) {
    expect(o.tokens.high!.calls).toBeGreaterThan(0);
    expect(o.tokens.low!.calls).toBe(o.steps);
    expect(o.tokens.progress!.prompt).toBeGreaterThan(0);
  }
  expect([...counting.resets.values()]).toEqual(episodes.map(() => 1));
  expect(counting.maxOpen()).toBeLessThanOrEqual(3);
  expect(counting.maxOpen()).toBeGreaterThan(1);
}, 600_000);

test('a dead worker and a terminated eval lose nothing and replay no finished episode', async () => {
  const taskQueue = queueFor('eval-resume');
  const evalId = `eval-${taskQueue}`;
  const episodes = plan(2);
  const counting = countingFactory();
  const llm = expertFor(evalId, episodes);
  const options = { taskQueue, llm, envFactory: counting.factory };

  // Worker 1 plays until 4 episodes are done, then goes away mid-eval (others in flight).
  await withWorker(t, options, async () => {
    const opened = await startOrAttachEval(t.client, evalId, input(episodes), taskQueue);
    for (;;) {
      const p = await opened.handle.query(evalProgressQuery);
      if (p.done >= 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  // Worker 2 picks it up; the eval is terminated by hand midway, then continued as a new run.
  await withWorker(t, options, async () => {
    const handle = t.client.workflow.getHandle(evalId);
    for (;;) {
      const p = await handle.query(evalProgressQuery);
      if (p.done >= 7) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.terminate('test: terminated midway');
  });
  await withWorker(t, options, async () => {
    const opened = await openExistingEval(t.client, evalId);
    expect(opened.state).toBe('continued');
    return opened.handle.result();
  });
  const { results: result } = await fetchEvalResults(t.client, evalId);
  expect(result.outcomes).toHaveLength(episodes.length);
  expect(result.outcomes.every((o) => o.won)).toBe(true);
  // Every reset beyond an episode's first is a recorded re-drive (same decisions, replayed), or
  // an episode the terminated run had in flight (its child was terminated with it, never finished).
  const outcomeOf = new Map(result.outcomes.map((o) => [`${o.spec.task}#${o.spec.variation}`, o]));
  let unexplained = 0;
  for (const [key, resets] of counting.resets) unexplained += resets - 1 - (outcomeOf.get(key)!.redrives ?? 0);
  expect(unexplained).toBeGreaterThanOrEqual(0);
  expect(unexplained).toBeLessThanOrEqual(3); // at most the 3 children in flight at the terminate
}, 600_000);

test('an eval started before 0.2.0 (1,200 outcomes carried in its input) continues, and its results keep them', async () => {
  const taskQueue = queueFor('eval-big');
  const evalId = `eval-${taskQueue}`;
  const episodes = Array.from({ length: 1205 }, (_, i) => ({
    spec: { env: 'builtin' as const, task: BUILTIN_TASKS[i % BUILTIN_TASKS.length]!, variation: Math.floor(i / 6) },
    group: BUILTIN_TASKS[i % BUILTIN_TASKS.length]!,
  }));
  // As a run that played 1,200 episodes would hand over: every outcome with its per-level tokens.
  const level = { calls: 12, prompt: 4800, completion: 240 };
  const outcomes = episodes.slice(0, 1200).map((_, index) => ({
    index,
    episodeId: evalEpisodeId(evalId, index),
    status: 'env-done',
    score: 100,
    won: true,
    steps: 9,
    tokens: { high: level, low: level, progress: level },
    spentTokens: 15_120,
    redrives: 0,
  }));
  const counting = countingFactory();
  const result = await withWorker(
    t,
    { taskQueue, llm: expertFor(evalId, episodes), envFactory: counting.factory },
    async () => {
      const opened = await startOrAttachEval(
        t.client,
        evalId,
        input(episodes, { state: { outcomes, runs: 6 }, concurrency: 5 }),
        taskQueue,
      );
      return opened.handle.result();
    },
  );
  expect(result.runs).toBe(7);
  expect(result.totals).toMatchObject({ done: 1205, won: 1205 });
  const { results } = await fetchEvalResults(t.client, evalId);
  expect(results.outcomes).toHaveLength(1205);
  expect(counting.resets.size).toBe(5); // only the 5 missing episodes were played
  const history = await t.client.workflow.getHandle(evalId).fetchHistory();
  const inputBytes = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!.length;
  const resultBytes =
    history.events!.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!.data!.length;
  // Far below Temporal's 2 MB payload limit (and the run's history holds 5 children, not 1,205).
  expect(inputBytes).toBeLessThan(1_000_000);
  expect(resultBytes).toBeLessThan(2_000); // totals, not 1,205 outcomes
  expect(history.events!.length).toBeLessThan(200);
}, 600_000);
