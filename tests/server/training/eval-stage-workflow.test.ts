/**
 * The training workflow's served eval stage, with fake activities and a stand-in eval (no Python):
 * after the last stage it starts `serveCheckpoint` on the final checkpoint, waits for its
 * `checkpointServed` signal, runs the child eval (linked by `StepHrlParent`), then cancels the serve
 * activity and waits for it to end before the run finishes; a serve that fails for good fails the
 * run naming it, with no eval started.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { StepHrlParent } from '../../../src/episode/search-attributes';
import {
  checkpointServedSignal,
  trainingStartAttributes,
  type TrainingInput,
  type TrainingResult,
} from '../../../src/episode/training-records';
import { connectTestTemporal, type TestTemporal } from '../../support/temporal';
import { fakeTrainingActivities } from '../../support/training-fakes';

const quiet = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, log: () => {} };
let temporal: TestTemporal;
let trainingBundle: WorkflowBundle;
let evalBundle: WorkflowBundle;

beforeAll(async () => {
  temporal = await connectTestTemporal();
  trainingBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../../src/workflows/training'),
    logger: quiet,
  });
  evalBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fake-eval-workflow'), logger: quiet });
});
afterAll(() => temporal.close());

/** Runs a training run with an eval stage; `serve` replaces the fake training activities' serve. */
async function run(id: string, serve: (input: { checkpoint: string }) => Promise<void>) {
  const { acts, calls } = fakeTrainingActivities(2);
  const input: TrainingInput = {
    config: { seed: 0 },
    configSource: { path: 'cfg.yaml', sha256: 'x' },
    runDir: `/tmp/${id}`,
    trainingTaskQueue: `${id}-py`,
    chunkSteps: 2,
    heartbeatTimeoutMs: 5000,
    evaluate: {
      taskQueue: `${id}-eval`,
      input: {
        agent: 'step-hrl',
        selection: 'builtin',
        env: 'builtin',
        model: 'served-policy',
        config: { profile: 'paper' },
        concurrency: 1,
      },
      serve: { modelName: 'served-policy', host: '127.0.0.1', loadTimeoutSeconds: 60 },
    },
  };
  const workers = await Promise.all([
    Worker.create({ connection: temporal.nativeConnection, taskQueue: `${id}-wf`, workflowBundle: trainingBundle }),
    Worker.create({ connection: temporal.nativeConnection, taskQueue: `${id}-eval`, workflowBundle: evalBundle }),
    Worker.create({
      connection: temporal.nativeConnection,
      taskQueue: input.trainingTaskQueue,
      activities: { ...acts, serveCheckpoint: serve },
    }),
  ]);
  const body = async () => {
    const handle = await temporal.client.workflow.start('trainingWorkflow', {
      workflowId: id,
      taskQueue: `${id}-wf`,
      args: [input],
      typedSearchAttributes: trainingStartAttributes(input),
    });
    return (handle.result() as Promise<TrainingResult>).catch((err: unknown) => err);
  };
  const outcome = await workers.reduce<Promise<unknown>>((p, w) => w.runUntil(p), body());
  return { outcome, calls };
}

test('serves the final checkpoint, runs the eval once served, then stops the server', async () => {
  const id = `train-eval-stage-${randomUUID()}`;
  const events: string[] = [];
  const { outcome, calls } = await run(id, async ({ checkpoint }) => {
    const ctx = Context.current();
    events.push(`serving ${checkpoint}`);
    const { workflowId, runId } = ctx.info.workflowExecution!;
    await temporal.client.workflow
      .getHandle(workflowId, runId)
      .signal(checkpointServedSignal, { baseURL: 'http://127.0.0.1:1/v1', model: 'served-policy', attempt: 1 });
    try {
      for (;;) {
        ctx.heartbeat();
        await ctx.sleep(100);
      }
    } catch (err) {
      events.push(err instanceof CancelledFailure ? 'server stopped' : `serve failed: ${String(err)}`);
      throw err;
    }
  });
  const result = outcome as TrainingResult;
  expect(result.status).toBe('finished');
  expect(calls.slice(-1)).toEqual(['finalize rl']);
  expect(events).toEqual(['serving rl/final', 'server stopped']);
  expect(result.evalId).toBe(`${id}/eval`);
  expect(result.evaluation).toMatchObject({ selection: 'served-policy', totals: { done: 1, won: 1 } });
  expect(result.served).toBeUndefined();
  const child = await temporal.client.workflow.getHandle(`${id}/eval`).describe();
  expect(child.typedSearchAttributes.get(StepHrlParent)).toBe(id);
});

test('a serve that fails for good fails the run, naming it, and starts no eval', async () => {
  const id = `train-eval-stage-${randomUUID()}`;
  const { outcome } = await run(id, async () => {
    throw ApplicationFailure.nonRetryable('the checkpoint server exited 2 while loading: no adapter');
  });
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  expect(String((outcome as WorkflowFailedError).cause?.message)).toContain(
    'serveCheckpoint: the checkpoint server exited 2 while loading',
  );
  await expect(temporal.client.workflow.getHandle(`${id}/eval`).describe()).rejects.toThrow();
});
