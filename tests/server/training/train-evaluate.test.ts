/**
 * The loop closed (issue 19 item 5): `step-hrl train` with an `evaluate` section trains the tiny CPU
 * config, serves the final checkpoint from its Python worker (`serveCheckpoint`), runs the child
 * eval (a built-in task, paper prompts) against it through the project's OpenAI client, and ends
 * with the server stopped. The eval is linked to the run (`StepHrlParent`), every token it recorded
 * is one the served checkpoint reported, and `train show` prints its success rate.
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StepHrlParent } from '../../../src/episode/search-attributes';
import { ensureBuilt, runCli, cleanEnv } from '../../support/cli-harness';
import { connectTestTemporal, type TestTemporal } from '../../support/temporal';
import { trainerInstalled, writeTinyRun } from '../../support/training-kill';

const address = process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS!;
const maybe = trainerInstalled() ? test : test.skip;

jest.setTimeout(600_000);

let temporal: TestTemporal;
beforeAll(async () => {
  ensureBuilt();
  temporal = await connectTestTemporal();
});
afterAll(() => temporal.close());

interface ServeSummary {
  baseURL: string;
  pid: number;
  exitCode: number | null;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

maybe('train ends with an eval of the served final checkpoint, linked to the run', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-train-eval-'));
  const config = writeTinyRun(dir, 1, 1);
  appendFileSync(
    config,
    'evaluate: {env: builtin, tasks: [boil-water], limit: 1, max_steps: 2, model_name: tiny-policy, repair_attempts: 0}\n',
  );
  const id = `train-eval-${Date.now().toString(36)}`;
  const runDir = path.join(dir, 'run');
  const args = ['train', '--config', config, '--id', id, '--address', address, '--run-dir', runDir];
  const run = await runCli([...args, '--chunk-steps', '50', '--json'], cleanEnv(), 540_000);
  expect({ code: run.code, stderr: run.stderr.slice(-3000) }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(run.stderr).toContain('eval stage: episodes run against the served checkpoint at http://127.0.0.1:');

  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    status: string;
    evalId: string;
    evaluation: { total: number; totals: { done: number; won: number; failed: number; spentTokens: number } };
  };
  expect(result.status).toBe('finished');
  expect(result.evalId).toBe(`${id}/eval`);
  expect(result.evaluation.total).toBe(1);
  expect(result.evaluation.totals).toMatchObject({ done: 1, failed: 0 });

  // The server ran the eval's calls and is gone: every token the eval spent is one it reported.
  const served = JSON.parse(readFileSync(path.join(runDir, 'serve', 'last.json'), 'utf8')) as ServeSummary;
  expect(served.requests).toBeGreaterThanOrEqual(2);
  expect(result.evaluation.totals.spentTokens).toBe(served.prompt_tokens + served.completion_tokens);
  expect(served.exitCode).not.toBeNull();
  expect(() => process.kill(served.pid, 0)).toThrow();

  // Linked to the run, and shown by `train show`.
  const evalRun = await temporal.client.workflow.getHandle(result.evalId).describe();
  expect(evalRun.type).toBe('evalWorkflow');
  expect(evalRun.typedSearchAttributes.get(StepHrlParent)).toBe(id);
  const show = await runCli(['train', 'show', id, '--address', address], cleanEnv());
  expect(show.code).toBe(0);
  expect(show.stdout).toMatch(new RegExp(`eval ${id}/eval \\(.*\\): 1/1 episodes, won \\d+ \\(success \\d+\\.\\d%\\)`));
});
