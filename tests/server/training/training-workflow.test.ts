/**
 * The training workflow's sequencing, with fake training activities on the training queue (no
 * Python): prepare, chunks until each stage is done, finalize; continue-as-new every
 * `chunksPerRun` chunks carrying the state; a bad config fails the run at once (not retried);
 * Temporal's cancel ends the run `cancelled` with its progress, in the result and the search attributes.
 */
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { StepHrlKind, StepHrlStatus, StepHrlSteps } from '../../../src/episode/search-attributes';
import {
  trainingProgressQuery,
  trainingStartAttributes,
  type TrainingActivityTypes,
  type TrainingInput,
  type TrainingResult,
} from '../../../src/episode/training-records';
import { connectTestTemporal, type TestTemporal } from '../../support/temporal';
import { fakeTrainingActivities } from '../../support/training-fakes';

let temporal: TestTemporal;
let bundle: WorkflowBundle;

beforeAll(async () => {
  temporal = await connectTestTemporal();
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../../src/workflows/training'),
    logger: { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, log: () => {} },
  });
});
afterAll(() => temporal.close());

async function withWorkers<T>(acts: TrainingActivityTypes, id: string, body: (input: TrainingInput) => Promise<T>) {
  const input: TrainingInput = {
    config: { seed: 0 },
    configSource: { path: 'cfg.yaml', sha256: 'x' },
    runDir: `/tmp/${id}`,
    trainingTaskQueue: `${id}-py`,
    chunkSteps: 2,
    chunksPerRun: 2,
    model: 'tiny',
  };
  const wf = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue: `${id}-wf`,
    workflowBundle: bundle,
  });
  const py = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue: input.trainingTaskQueue,
    activities: acts,
  });
  return py.runUntil(wf.runUntil(body(input)));
}

test('chunks until each stage is done, finalizes, continues as new with its state', async () => {
  const id = `train-wf-${randomUUID()}`;
  const { acts, calls } = fakeTrainingActivities(5);
  const result = await withWorkers(acts, id, async (input) => {
    const handle = await temporal.client.workflow.start('trainingWorkflow', {
      workflowId: id,
      taskQueue: `${id}-wf`,
      args: [input],
      typedSearchAttributes: trainingStartAttributes(input),
    });
    const r = (await handle.result()) as TrainingResult;
    const d = await temporal.client.workflow.getHandle(id).describe();
    expect(d.runId).not.toBe(handle.firstExecutionRunId); // continued as new (2 chunks per run)
    // A run that continues as new records no end status (a continue-as-new is not a failure).
    const first = await temporal.client.workflow.getHandle(id, handle.firstExecutionRunId).fetchHistory();
    const statuses = first.events!.flatMap((e) =>
      Object.entries(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {})
        .filter(([key]) => key === 'StepHrlStatus')
        .map(([, payload]) => Buffer.from(payload.data!).toString()),
    );
    expect(statuses).toEqual([]);
    expect(d.typedSearchAttributes.get(StepHrlKind)).toBe('training');
    expect(d.typedSearchAttributes.get(StepHrlStatus)).toBe('finished');
    expect(d.typedSearchAttributes.get(StepHrlSteps)).toBe(10);
    return r;
  });
  expect(calls).toEqual([
    'prepare',
    ...['chunk bc', 'chunk bc', 'chunk bc', 'finalize bc'],
    ...['chunk rl', 'chunk rl', 'chunk rl', 'finalize rl'],
  ]);
  expect(result.status).toBe('finished');
  expect(result.chunks).toBe(6);
  expect(result.finals.rl?.sha256).toEqual({ adapter: 'sha-rl' });
});

test('a bad config fails the run once, not retried', async () => {
  const id = `train-wf-${randomUUID()}`;
  const { acts, calls } = fakeTrainingActivities(5, { badConfig: true });
  const err = await withWorkers(acts, id, async (input) => {
    const handle = await temporal.client.workflow.start('trainingWorkflow', {
      workflowId: id,
      taskQueue: `${id}-wf`,
      args: [input],
      typedSearchAttributes: trainingStartAttributes(input),
    });
    return handle.result().catch((e: unknown) => e);
  });
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(String((err as WorkflowFailedError).cause?.message)).toContain('prepareRun: data.dataset is missing');
  expect(calls).toEqual(['prepare']);
  const d = await temporal.client.workflow.getHandle(id).describe();
  expect(d.typedSearchAttributes.get(StepHrlStatus)).toBe('failed');
});

test("Temporal's cancel ends the run cancelled with its progress", async () => {
  const id = `train-wf-${randomUUID()}`;
  const { acts } = fakeTrainingActivities(1000, { slowMs: 300 });
  const result = await withWorkers(acts, id, async (input) => {
    const handle = await temporal.client.workflow.start('trainingWorkflow', {
      workflowId: id,
      taskQueue: `${id}-wf`,
      args: [{ ...input, chunksPerRun: 1000 }],
      typedSearchAttributes: trainingStartAttributes(input),
    });
    for (let i = 0; i < 300; i++) {
      const p = await handle.query(trainingProgressQuery).catch(() => undefined);
      if ((p?.last?.step ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.cancel();
    return (await handle.result()) as TrainingResult;
  });
  expect(result.status).toBe('cancelled');
  expect(result.last?.step).toBeGreaterThan(0);
  const d = await temporal.client.workflow.getHandle(id).describe();
  expect(d.typedSearchAttributes.get(StepHrlStatus)).toBe('cancelled');
});
