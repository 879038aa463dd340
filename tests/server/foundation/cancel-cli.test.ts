/**
 * `step-hrl cancel` and `step-hrl eval pause|resume|set-concurrency` on the real bin against the
 * shared test server, with the eval's worker in this process: the CLI asks, the running workflow
 * answers, and what it prints and its exit codes are what an operator scripts against.
 */
import { startOrAttachEval } from '../../../src/eval/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import { ExpertRouterClient } from '../../../src/llm/expert-router';
import type { CallOptions, LlmRequest } from '../../../src/llm/types';
import type { EpisodeResult } from '../../../src/workflows/episode';
import { evalProgressQuery, type EvalWorkflowResult } from '../../../src/workflows/eval';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

let t: TestTemporal;
beforeAll(async () => {
  ensureBuilt();
  t = await connectTestTemporal();
});
afterAll(async () => t?.close());

const cli = (...args: string[]) => runCli([...args, '--address', testAddress()], cleanEnv(), 60_000);

/** The scripted expert, 200 ms slower per call, so work stays in flight while the CLI acts. */
function slowExpert(): ExpertRouterClient {
  const expert = new ExpertRouterClient({
    specOf: () => ({ env: 'builtin', task: 'boil-water', variation: 0 }),
    planOf: async (spec) => goldSubtasks(spec),
    profile: 'chat',
  });
  const complete = expert.complete.bind(expert);
  expert.complete = async (request: LlmRequest, options?: CallOptions) => {
    await new Promise((r) => setTimeout(r, 200));
    return complete(request, options);
  };
  return expert;
}

test('cancel of a running episode: exit 0, the episode ends cancelled with its record; again: says it ended', async () => {
  const taskQueue = queueFor('cli-cancel');
  const workflowId = `cli-cancel-${taskQueue}`;
  const spec = { env: 'builtin' as const, task: 'boil-water', variation: 0 };
  const result = await withWorker(t, { taskQueue, llm: slowExpert() }, async () => {
    const handle = await t.client.workflow.start('episodeWorkflow', {
      workflowId,
      taskQueue,
      args: [{ config: { spec, maxSteps: 40 } }],
    });
    await new Promise((r) => setTimeout(r, 1500));
    const cancelled = await cli('cancel', workflowId);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('cancel requested');
    return (await handle.result()) as EpisodeResult;
  });
  expect(result.status).toBe('cancelled');
  const again = await cli('cancel', workflowId);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('already ended');
  const missing = await cli('cancel', 'no-such-episode-anywhere');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('no episode, eval or training run with id');
}, 180_000);

test('eval pause, set-concurrency (a bad value refused), resume and cancel from another terminal', async () => {
  const taskQueue = queueFor('cli-eval-control');
  const evalId = `eval-${taskQueue}`;
  const episodes = Array.from({ length: 8 }, (_, variation) => ({
    spec: { env: 'builtin' as const, task: 'boil-water', variation },
    group: 'boil-water',
  }));
  const result = await withWorker(t, { taskQueue, llm: slowExpert() }, async () => {
    const opened = await startOrAttachEval(
      t.client,
      evalId,
      { agent: 'step-hrl', selection: 'cli test', env: 'builtin', config: {}, episodes, concurrency: 2 },
      taskQueue,
    );
    const paused = await cli('eval', 'pause', evalId);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/paused: \d+\/8 done/);
    const bad = await cli('eval', 'set-concurrency', evalId, '0');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('<n>');
    const set = await cli('eval', 'set-concurrency', evalId, '3');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('concurrency 3');
    expect((await opened.handle.query(evalProgressQuery)).concurrency).toBe(3);
    expect((await cli('eval', 'resume', evalId)).code).toBe(0);
    const cancelled = await cli('eval', 'cancel', evalId);
    expect(cancelled.code).toBe(0);
    return (await opened.handle.result()) as EvalWorkflowResult;
  });
  expect(result.cancelled).toBe(true);
  const after = await cli('eval', 'pause', evalId);
  expect(after.code).toBe(1);
  expect(after.stderr).toContain('is not running');
}, 180_000);
